import type { CompressionTypes } from 'kafkajs';
import { loadPackage } from '../../spi/kit/load-package';

type KafkaJs = typeof import('kafkajs');

/** Dapr's `compression` values (sarama's codec names). */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * The npm package behind each codec kafkajs does not build in (it has only
 * gzip). Each is an optional peer dependency, loaded the first time a
 * component is configured with the codec or a record batch compressed with it
 * arrives.
 */
export const CODEC_PACKAGES = {
  /** kafkajs' own snappy codec (pure JS); reads the xerial framing Java clients write. */
  snappy: 'kafkajs-snappy',
  /** LZ4 frame format (what Kafka uses since message format v1), prebuilt N-API binaries. */
  lz4: 'lz4-napi',
  /** Zstandard frames, prebuilt N-API binaries. */
  zstd: '@mongodb-js/zstd',
} as const;

type ExternalCodec = keyof typeof CODEC_PACKAGES;

/** The shape kafkajs expects from a codec: compress the encoder's bytes, decompress a batch body. */
interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

interface Lz4Napi {
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
}

interface MongoZstd {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const ADAPTERS: { [C in ExternalCodec]: (mod: unknown) => KafkaCodec } = {
  snappy: (mod) => (mod as () => KafkaCodec)(),
  lz4: (mod) => {
    const lz4 = mod as Lz4Napi;
    return { compress: (e) => lz4.compressFrame(e.buffer), decompress: (b) => lz4.decompressFrame(b) };
  },
  zstd: (mod) => {
    const zstd = mod as MongoZstd;
    return { compress: (e) => zstd.compress(e.buffer), decompress: (b) => zstd.decompress(b) };
  },
};

const TYPE_NAMES: { [C in ExternalCodec]: keyof typeof CompressionTypes } = { snappy: 'Snappy', lz4: 'LZ4', zstd: 'ZSTD' };

/** Marks the lazy codecs installed here, so that installing twice is a no-op. */
const LAZY = Symbol('nest-dapr.lazy-codec');

/**
 * Gets kafkajs ready for the component's `compression` and returns the value
 * to pass to `producer.send` (undefined: uncompressed).
 *
 * Every Dapr (sarama) consumer decodes all five codecs whatever its own
 * `compression` says, so a nest-dapr consumer must too: the three codecs
 * kafkajs lacks are registered as lazy codecs that load their package on the
 * first batch that needs it. kafkajs keeps its codecs in one registry per
 * process; only slots still holding kafkajs' "not implemented" stub are
 * filled, so a codec the application registered itself is left alone.
 *
 * A codec configured for publishing is loaded here, so a missing package
 * stops start-up with the `npm install` command instead of failing the first
 * publish.
 */
export async function prepareCompression(
  kafkajs: KafkaJs,
  componentType: string,
  compression: KafkaCompression,
): Promise<CompressionTypes | undefined> {
  for (const codec of Object.keys(CODEC_PACKAGES) as ExternalCodec[]) installLazyCodec(kafkajs, componentType, codec);
  if (compression === 'none') return undefined;
  if (compression === 'gzip') return kafkajs.CompressionTypes.GZIP;
  await loadCodec(componentType, compression);
  return kafkajs.CompressionTypes[TYPE_NAMES[compression]];
}

function installLazyCodec(kafkajs: KafkaJs, componentType: string, codec: ExternalCodec): void {
  const type = kafkajs.CompressionTypes[TYPE_NAMES[codec]];
  const registry = kafkajs.CompressionCodecs as unknown as Record<number, (() => KafkaCodec) & { [LAZY]?: true }>;
  const current = registry[type];
  if (current?.[LAZY] || !isKafkajsStub(current)) return;
  const lazy: KafkaCodec = {
    compress: async (encoder) => (await loadCodec(componentType, codec)).compress(encoder),
    decompress: async (buffer) => (await loadCodec(componentType, codec)).decompress(buffer),
  };
  registry[type] = Object.assign(() => lazy, { [LAZY]: true as const });
}

/** kafkajs' placeholder for a codec it does not ship throws KafkaJSNotImplemented when asked for it. */
function isKafkajsStub(factory: (() => unknown) | undefined): boolean {
  if (!factory) return true;
  try {
    factory();
    return false;
  } catch (err) {
    return (err as Error)?.name === 'KafkaJSNotImplemented';
  }
}

/** loadPackage keeps the module (and a missing package is looked for again next time); the adapter is a thin wrapper. */
function loadCodec(componentType: string, codec: ExternalCodec): Promise<KafkaCodec> {
  return loadPackage(componentType, CODEC_PACKAGES[codec]).then(ADAPTERS[codec]);
}
