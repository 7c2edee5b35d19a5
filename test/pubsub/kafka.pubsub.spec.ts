import type { Admin, Kafka } from 'kafkajs';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import { partitionForKey } from '../../libs/dapr/src/components/kafka/fnv1a.partitioner';
import { KafkaPubSub } from '../../libs/dapr/src/components/kafka/kafka.pubsub';
import type { DeliveryOutcome, PubSubMessage, SubscriptionHandle } from '../../libs/dapr/src/spi/pubsub.spi';
import { MessageTooLargeError } from '../../libs/dapr/src/errors/message-too-large.error';
import { MissingMetadataError, ComponentConfigError } from '../../libs/dapr/src/errors/component-config.error';
import { KAFKA_BROKERS, componentMetadata, sleep, uniqueName, waitFor } from './support/broker-test-utils';

/**
 * Driver-level tests of pubsub.kafka against the real broker: the SPI the
 * pub/sub block uses, record layout, partitioning, commit/redelivery rules.
 */
describe('pubsub.kafka driver (real broker)', () => {
  let raw: Kafka;
  let admin: Admin;
  const drivers: KafkaPubSub[] = [];
  const handles: SubscriptionHandle[] = [];

  async function driver(props: Record<string, string> = {}, appId = 'kafka-test'): Promise<KafkaPubSub> {
    const d = new KafkaPubSub();
    await d.init(componentMetadata('kafka', 'pubsub.kafka', { brokers: KAFKA_BROKERS, ...props }, appId));
    drivers.push(d);
    return d;
  }

  async function createTopic(topic: string, numPartitions: number): Promise<void> {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, replicationFactor: 1 }] });
  }

  beforeAll(async () => {
    raw = new KafkaClient({ clientId: 'kafka-spec', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    admin = raw.admin();
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('rejects a component without brokers and an unknown authType', async () => {
    await expect(new KafkaPubSub().init(componentMetadata('k', 'pubsub.kafka', {}))).rejects.toBeInstanceOf(MissingMetadataError);
    await expect(
      new KafkaPubSub().init(componentMetadata('k', 'pubsub.kafka', { brokers: KAFKA_BROKERS, authType: 'kerberos' })),
    ).rejects.toBeInstanceOf(ComponentConfigError);
    await expect(
      new KafkaPubSub().init(componentMetadata('k', 'pubsub.kafka', { brokers: KAFKA_BROKERS, authType: 'password', saslUsername: 'u' })),
    ).rejects.toThrow(/saslPassword/);
  });

  it('publishes metadata as headers and delivers Dapr broker metadata', async () => {
    const topic = uniqueName('kd-meta');
    const d = await driver({ initialOffset: 'oldest' });
    await expect(d.ping()).resolves.toBeUndefined();
    expect(d.features()).toEqual(['BULK_PUBSUB']);
    const got: PubSubMessage[] = [];
    handles.push(
      await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => {
        got.push(m);
        return 'SUCCESS';
      }),
    );
    await d.publish({ topic, data: Buffer.from('{"a":1}'), metadata: { partitionKey: 'order-7', custom: 'v1' } });
    await waitFor(() => got.length === 1, 'delivery');
    const m = got[0];
    expect(Buffer.from(m.data).toString()).toBe('{"a":1}');
    expect(m.topic).toBe(topic);
    expect(m.metadata).toMatchObject({ __key: 'order-7', __topic: topic, __partition: '0', __offset: '0', partitionKey: 'order-7', custom: 'v1' });
    expect(Number(m.metadata.__timestamp)).toBeGreaterThan(Date.now() - 60_000);

    // What a plain kafkajs consumer sees: key, value and one header per metadata entry.
    const consumer = raw.consumer({ groupId: uniqueName('raw') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records: { key?: string; value?: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ key: message.key?.toString(), value: message.value?.toString(), headers });
      },
    });
    await waitFor(() => records.length === 1, 'raw consumer');
    await consumer.disconnect();
    expect(records[0]).toEqual({ key: 'order-7', value: '{"a":1}', headers: { partitionKey: 'order-7', custom: 'v1' } });
  });

  it('places keys on the partition sarama (Dapr) picks: FNV-1a', async () => {
    const topic = uniqueName('kd-part');
    await createTopic(topic, 6);
    const d = await driver();
    const keys = Array.from({ length: 24 }, (_, i) => `key-${i}`);
    for (const key of keys) await d.publish({ topic, data: Buffer.from(key), metadata: { partitionKey: key } });
    const offsets = await admin.fetchTopicOffsets(topic);
    const perPartition = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    const expected = new Map<number, number>();
    for (const key of keys) expected.set(partitionForKey(key, 6), (expected.get(partitionForKey(key, 6)) ?? 0) + 1);
    for (let p = 0; p < 6; p++) expect(perPartition.get(p) ?? 0).toBe(expected.get(p) ?? 0);
    // `partitionNumber` forces a partition, as in Dapr.
    await d.publish({ topic, data: Buffer.from('x'), metadata: { partitionNumber: '5' } });
    const after = await admin.fetchTopicOffsets(topic);
    expect(Number(after.find((o) => o.partition === 5)!.high)).toBe((expected.get(5) ?? 0) + 1);
  });

  it('redelivers a RETRY in place, in order, and commits only settled offsets', async () => {
    const topic = uniqueName('kd-retry');
    const group = uniqueName('g');
    const d = await driver({ initialOffset: 'oldest', backOffDuration: '20ms' });
    for (let i = 0; i < 5; i++) await d.publish({ topic, data: Buffer.from(String(i)), metadata: { partitionKey: 'k' } });
    const seen: string[] = [];
    let failuresLeft = 3;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    handles.push(
      await d.subscribe({ topic, metadata: { consumerID: group } }, async (m): Promise<DeliveryOutcome> => {
        const v = Buffer.from(m.data).toString();
        seen.push(v);
        if (v === '2' && failuresLeft-- > 0) return failuresLeft === 1 ? 'RETRY' : Promise.reject(new Error('boom'));
        if (v === '4') await gate; // hold the last record in flight
        return v === '3' ? 'DROP' : 'SUCCESS';
      }),
    );
    try {
      await waitFor(() => seen.includes('4'), 'record 4 in flight');
      expect(seen).toEqual(['0', '1', '2', '2', '2', '2', '3', '4']);
      // Records 0-3 are settled (next offset 4); record 4 is still running, so never past it.
      await waitFor(async () => (await committed(admin, group, topic)) === 4, 'commit of settled records');
      await sleep(1500);
      expect(await committed(admin, group, topic)).toBe(4);
    } finally {
      release();
    }
    await waitFor(async () => (await committed(admin, group, topic)) === 5, 'commit after the handler finished');
  });

  it('refuses an oversize record with a clear error and sends nothing', async () => {
    const topic = uniqueName('kd-big');
    await createTopic(topic, 1);
    const d = await driver({ maxMessageBytes: '1000' });
    await expect(d.publish({ topic, data: Buffer.alloc(2000, 97), metadata: {} })).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(d.publish({ topic, data: Buffer.alloc(2000, 97), metadata: {} })).rejects.toThrow(/2\d{3} bytes, more than the 1000 bytes/);
    // Above the broker's own limit (message.max.bytes ~1 MiB) with a permissive maxMessageBytes.
    const lax = await driver({ maxMessageBytes: String(10 * 1024 * 1024) });
    await expect(lax.publish({ topic, data: Buffer.alloc(2 * 1024 * 1024, 97), metadata: {} })).rejects.toBeInstanceOf(MessageTooLargeError);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(Number(offsets[0].high)).toBe(0);
    const res = await d.bulkPublish({
      topic,
      metadata: {},
      entries: [
        { entryId: 'small', event: Buffer.from('ok'), metadata: {} },
        { entryId: 'big', event: Buffer.alloc(5000, 97), metadata: {} },
      ],
    });
    expect(res.failedEntries.map((e) => e.entryId)).toEqual(['big']);
    expect(Number((await admin.fetchTopicOffsets(topic))[0].high)).toBe(1);
  });

  it('starts a new group at the newest offset by default and at the oldest on request', async () => {
    const topic = uniqueName('kd-offset');
    const d = await driver({ autoCreateTopics: 'true' });
    await d.publish({ topic, data: Buffer.from('before'), metadata: {} });
    const newest: string[] = [];
    const oldest: string[] = [];
    handles.push(await d.subscribe({ topic, metadata: { consumerID: uniqueName('new') } }, async (m) => (newest.push(Buffer.from(m.data).toString()), 'SUCCESS')));
    handles.push(
      await d.subscribe({ topic, metadata: { consumerID: uniqueName('old'), initialOffset: 'oldest' } }, async (m) => (oldest.push(Buffer.from(m.data).toString()), 'SUCCESS')),
    );
    await d.publish({ topic, data: Buffer.from('after'), metadata: {} });
    await waitFor(() => newest.length === 1 && oldest.length === 2, 'both groups');
    expect(newest).toEqual(['after']);
    expect(oldest).toEqual(['before', 'after']);
  });

  it('splits a topic between two instances of one app and copies it to another app', async () => {
    const topic = uniqueName('kd-groups');
    await createTopic(topic, 4);
    const appA = uniqueName('app-a');
    const appB = uniqueName('app-b');
    const a1 = await driver({ initialOffset: 'oldest' }, appA);
    const a2 = await driver({ initialOffset: 'oldest' }, appA);
    const b = await driver({ initialOffset: 'oldest' }, appB);
    const got = { a1: new Set<string>(), a2: new Set<string>(), b: new Set<string>() };
    const on = (set: Set<string>) => async (m: PubSubMessage): Promise<DeliveryOutcome> => (set.add(Buffer.from(m.data).toString()), 'SUCCESS');
    handles.push(await a1.subscribe({ topic, metadata: {} }, on(got.a1)));
    handles.push(await a2.subscribe({ topic, metadata: {} }, on(got.a2)));
    handles.push(await b.subscribe({ topic, metadata: {} }, on(got.b)));
    // Wait until both instances of app A hold partitions (the second join rebalances the first).
    await waitFor(async () => (await admin.describeGroups([appA])).groups[0].members.filter((m) => m.memberAssignment.length > 8).length === 2, 'rebalance of app A', 30_000);
    const n = 200;
    await a1.bulkPublish({
      topic,
      metadata: {},
      entries: Array.from({ length: n }, (_, i) => ({ entryId: String(i), event: Buffer.from(`m${i}`), metadata: { partitionKey: `k${i}` } })),
    });
    await waitFor(() => got.a1.size + got.a2.size >= n && got.b.size === n, 'all messages', 30_000);
    expect(got.a1.size).toBeGreaterThan(0);
    expect(got.a2.size).toBeGreaterThan(0);
    expect(new Set([...got.a1, ...got.a2]).size).toBe(n);
    expect([...got.a1].filter((x) => got.a2.has(x))).toEqual([]);
  });

  it('hands a stopped instance\'s partitions to the remaining one (rebalance), losing nothing', async () => {
    const topic = uniqueName('kd-rebalance');
    await createTopic(topic, 4);
    const app = uniqueName('app');
    const a = await driver({ initialOffset: 'oldest', heartbeatInterval: '300ms' }, app);
    const b = await driver({ initialOffset: 'oldest', heartbeatInterval: '300ms' }, app);
    const got = { a: new Set<string>(), b: new Set<string>() };
    const on = (set: Set<string>) => async (m: PubSubMessage): Promise<DeliveryOutcome> => (set.add(Buffer.from(m.data).toString()), 'SUCCESS');
    handles.push(await a.subscribe({ topic, metadata: {} }, on(got.a)));
    const hb = await b.subscribe({ topic, metadata: {} }, on(got.b));
    const batch = (from: number) =>
      a.bulkPublish({
        topic,
        metadata: {},
        entries: Array.from({ length: 100 }, (_, i) => ({ entryId: String(i), event: Buffer.from(`m${from + i}`), metadata: { partitionKey: `k${from + i}` } })),
      });
    await batch(0);
    await waitFor(() => got.a.size > 0 && got.b.size > 0 && got.a.size + got.b.size >= 100, 'both instances consuming', 30_000);
    await hb.stop();
    await batch(100);
    const all = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await waitFor(() => all.every((m) => got.a.has(m) || got.b.has(m)), 'every message after the rebalance', 30_000);
    // Everything published after b left went to a.
    expect(all.slice(100).every((m) => got.a.has(m))).toBe(true);
  });

  it('stop() lets the in-flight handler finish, commits it and stops deliveries', async () => {
    const topic = uniqueName('kd-stop');
    const group = uniqueName('g');
    const d = await driver({ initialOffset: 'oldest' });
    await d.publish({ topic, data: Buffer.from('1'), metadata: {} });
    await d.publish({ topic, data: Buffer.from('2'), metadata: {} });
    const seen: string[] = [];
    let finished = false;
    const handle = await d.subscribe({ topic, metadata: { consumerID: group } }, async (m) => {
      seen.push(Buffer.from(m.data).toString());
      await sleep(300);
      finished = true;
      return 'SUCCESS';
    });
    await waitFor(() => seen.length === 1, 'first delivery');
    await handle.stop();
    expect(finished).toBe(true);
    expect(seen).toEqual(['1']);
    expect(await committed(admin, group, topic)).toBe(1);
  });
});

async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  return res[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}
