import { join } from 'node:path';
import { KafkaBinding } from '../../libs/dapr/src/components/kafka/kafka.binding';
import { KafkaPubSub } from '../../libs/dapr/src/components/kafka/kafka.pubsub';
import type { PubSubMessage, SubscriptionHandle } from '../../libs/dapr/src/spi/pubsub.spi';
import { KAFKA_BROKERS, componentMetadata, uniqueName, waitFor } from './support/broker-test-utils';
import { dumpRecordBatches, runKafkaJava, sharedKafkaInstallation, type KafkaInstallation } from './support/kafka-installation';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const JAVA_RECORDS = 20;

/**
 * `compression` on the wire, per codec, against the real broker: what
 * nest-dapr publishes is stored as record batches carrying that codec (read
 * back from the broker's log segments with its own `DumpLogSegments`, which
 * also decompresses them with Kafka's codecs), and batches another producer
 * wrote with the codec — the Java client, as Kafka's reference — are consumed
 * by a component whose own `compression` is unset, as any Dapr (sarama)
 * consumer reads every codec.
 */
describe('pubsub.kafka compression on the wire (real broker)', () => {
  let kafka: KafkaInstallation;
  const run = uniqueName('codec');
  const javaTopic = (codec: string) => `${run}-java-${codec}`;
  const drivers: KafkaPubSub[] = [];
  const handles: SubscriptionHandle[] = [];

  async function driver(props: Record<string, string>): Promise<KafkaPubSub> {
    const d = new KafkaPubSub();
    drivers.push(d);
    await d.init(componentMetadata('kafka', 'pubsub.kafka', { brokers: KAFKA_BROKERS, ...props }, `${run}-app`));
    return d;
  }

  beforeAll(async () => {
    kafka = await sharedKafkaInstallation();
    // One JVM writes every codec's topic.
    await runKafkaJava(kafka, join(__dirname, 'fixtures', 'CodecProducer.java'), [
      KAFKA_BROKERS,
      ...CODECS.map((c) => `${c}=${javaTopic(c)}=${JAVA_RECORDS}`),
    ]);
  }, 90_000);

  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
  });

  describe.each(CODECS)('%s', (codec) => {
    it(`publishes record batches compressed with ${codec} that the broker decompresses`, async () => {
      const topic = `${run}-out-${codec}`;
      const d = await driver({ compression: codec, autoCreateTopics: 'true' });
      const entries = Array.from({ length: 5 }, (_, i) => ({
        entryId: String(i),
        event: Buffer.from(JSON.stringify({ codec, i, filler: 'x'.repeat(200) })),
        contentType: 'application/json',
        metadata: {},
      }));
      const bulk = await d.bulkPublish({ topic, entries, metadata: {} });
      expect(bulk.failedEntries).toEqual([]);
      await d.publish({ topic, data: Buffer.from(JSON.stringify({ codec, single: true })), metadata: {} });

      const batches = (await dumpRecordBatches(kafka, [topic])).get(topic)!;
      expect(batches.map((b) => [b.codec, b.count])).toEqual([
        [codec, 5],
        [codec, 1],
      ]);
      expect(batches[0].payloads.map((p) => JSON.parse(p).i)).toEqual([0, 1, 2, 3, 4]);
      expect(JSON.parse(batches[1].payloads[0])).toEqual({ codec, single: true });
    }, 60_000);

    it(`consumes ${codec} batches the Java client wrote, with no compression configured`, async () => {
      const topic = javaTopic(codec);
      // The fixture really wrote compressed batches (linger lets the records share batches).
      const stored = (await dumpRecordBatches(kafka, [topic])).get(topic)!;
      expect(stored.length).toBeGreaterThan(0);
      expect(new Set(stored.map((b) => b.codec))).toEqual(new Set([codec]));
      expect(stored.some((b) => b.count > 1)).toBe(true);

      const d = await driver({ initialOffset: 'oldest' });
      const got: PubSubMessage[] = [];
      handles.push(
        await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => {
          got.push(m);
          return 'SUCCESS';
        }),
      );
      await waitFor(() => got.length >= JAVA_RECORDS, `${JAVA_RECORDS} ${codec} records`, 30_000);
      expect(got.map((m) => Buffer.from(m.data).toString())).toEqual(
        Array.from({ length: JAVA_RECORDS }, (_, i) => `java ${codec} ${i}`),
      );
      expect(got.map((m) => m.metadata.__key)).toEqual(Array.from({ length: JAVA_RECORDS }, (_, i) => `k${i}`));
    }, 60_000);
  });

  it('bindings.kafka publishes with the configured codec too', async () => {
    const topic = `${run}-binding-zstd`;
    const binding = new KafkaBinding();
    try {
      await binding.init(componentMetadata('kb', 'bindings.kafka', { brokers: KAFKA_BROKERS, publishTopic: topic, compression: 'zstd' }));
      await binding.invoke({ operation: 'create', data: Buffer.from('{"via":"binding"}'), metadata: { partitionKey: 'b-1' } });
    } finally {
      await binding.close();
    }
    const batches = (await dumpRecordBatches(kafka, [topic])).get(topic)!;
    expect(batches.map((b) => [b.codec, b.count, b.payloads])).toEqual([['zstd', 1, ['{"via":"binding"}']]]);
  }, 60_000);
});
