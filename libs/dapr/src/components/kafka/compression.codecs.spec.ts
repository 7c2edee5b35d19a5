import * as kafkajs from 'kafkajs';
import { MissingPackageError } from '../../errors/component-init.error';
import { KafkaPubSub } from './kafka.pubsub';
import { prepareCompression } from './compression.codecs';

// lz4-napi is installed for the wire tests; here it behaves as on a machine without it.
jest.mock('lz4-napi', () => {
  throw Object.assign(new Error("Cannot find module 'lz4-napi' from 'load-package.ts'"), { code: 'MODULE_NOT_FOUND' });
});

type Registry = Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
const registry = kafkajs.CompressionCodecs as unknown as Registry;

describe('Kafka compression codecs', () => {
  it('stops start-up naming the npm install command when the configured codec package is missing', async () => {
    const driver = new KafkaPubSub();
    const err = await driver
      .init({ name: 'k', type: 'pubsub.kafka', version: 'v1', appId: 'a', properties: { brokers: '127.0.0.1:1', compression: 'lz4' } })
      .catch((e: unknown) => e);
    await driver.close();
    expect(err).toBeInstanceOf(MissingPackageError);
    expect((err as Error).message).toBe('component pubsub.kafka needs the package lz4-napi: npm install lz4-napi');
  });

  it('reads batches of every codec without configuring one, loading the package on the first such batch', async () => {
    await expect(prepareCompression(kafkajs, 'pubsub.kafka', 'none')).resolves.toBeUndefined();
    const snappy = registry[kafkajs.CompressionTypes.Snappy]();
    const raw = Buffer.from('hello hello hello hello');
    const compressed = await snappy.compress({ buffer: raw });
    expect(compressed.equals(raw)).toBe(false);
    await expect(snappy.decompress(compressed)).resolves.toEqual(raw);
    // A batch whose codec package is absent fails (and is redelivered) with the install command.
    await expect(registry[kafkajs.CompressionTypes.LZ4]().decompress(Buffer.alloc(8))).rejects.toThrow(/npm install lz4-napi/);
  });

  it('returns the codec kafkajs sends with, and leaves a codec the application registered alone', async () => {
    const own = { compress: async () => Buffer.from('own'), decompress: async () => Buffer.from('own') };
    const zstdSlot = kafkajs.CompressionTypes.ZSTD;
    const saved = registry[zstdSlot];
    registry[zstdSlot] = () => own;
    try {
      await expect(prepareCompression(kafkajs, 'pubsub.kafka', 'zstd')).resolves.toBe(kafkajs.CompressionTypes.ZSTD);
      expect(registry[zstdSlot]()).toBe(own);
    } finally {
      registry[zstdSlot] = saved;
    }
    await expect(prepareCompression(kafkajs, 'pubsub.kafka', 'gzip')).resolves.toBe(kafkajs.CompressionTypes.GZIP);
    await expect(prepareCompression(kafkajs, 'pubsub.kafka', 'snappy')).resolves.toBe(kafkajs.CompressionTypes.Snappy);
  });
});
