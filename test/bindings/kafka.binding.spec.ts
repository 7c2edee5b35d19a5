import { Injectable } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import type { TestingModule } from '@nestjs/testing';
import { BindingsService, OnBinding } from 'nest-dapr';
import { bootBindingsApp, uniqueSuffix, waitFor } from './bindings-test-app';

const BROKERS = '127.0.0.1:9092';

@Injectable()
class KafkaEvents {
  readonly received: { data: unknown; metadata: Record<string, string> }[] = [];
  readonly attempts = new Map<string, number>();
  /** Events whose id is listed fail this many times before succeeding. */
  failFirst = new Map<string, number>();

  @OnBinding('orders-in')
  handle(data: { id: string }, metadata: Record<string, string>) {
    const n = (this.attempts.get(data.id) ?? 0) + 1;
    this.attempts.set(data.id, n);
    if (n <= (this.failFirst.get(data.id) ?? 0)) throw new Error(`simulated failure ${n} for ${data.id}`);
    this.received.push({ data, metadata });
  }
}

describe('bindings.kafka (real Kafka)', () => {
  const topic = `bindings-${uniqueSuffix()}`;
  let app: TestingModule;

  beforeAll(async () => {
    const admin = new Kafka({ brokers: [BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    app = await bootBindingsApp(
      [
        {
          name: 'orders-in',
          type: 'bindings.kafka',
          metadata: { brokers: BROKERS, topics: topic, consumerGroup: `g-${topic}`, backOffDuration: '100ms' },
        },
        { name: 'orders-out', type: 'bindings.kafka', metadata: { brokers: BROKERS, publishTopic: topic } },
      ],
      [KafkaEvents],
    );
  }, 60_000);
  afterAll(() => app?.close());

  it('output create publishes with partitionKey as the record key and metadata as headers; input delivers it', async () => {
    const bindings = app.get(BindingsService);
    const events = app.get(KafkaEvents);
    expect(await bindings.invoke('orders-out', 'create', { id: 'a1', total: 3 }, { partitionKey: 'customer-9', 'x-origin': 'test' })).toEqual({
      data: undefined,
      metadata: {},
    });
    await waitFor(() => events.received.some((e) => e.data && (e.data as { id: string }).id === 'a1'), 20_000);
    const got = events.received.find((e) => (e.data as { id: string }).id === 'a1')!;
    expect(got.data).toEqual({ id: 'a1', total: 3 });
    expect(got.metadata).toMatchObject({ __key: 'customer-9', __topic: topic, 'x-origin': 'test', partitionKey: 'customer-9' });
    expect(got.metadata.__offset).toMatch(/^\d+$/);
  }, 30_000);

  it('retries a failing handler (inbound policy, then Kafka redelivery) without losing the event', async () => {
    const bindings = app.get(BindingsService);
    const events = app.get(KafkaEvents);
    // Fails 5 times: more than the 3 in-process attempts, so the record also goes back to Kafka's own redelivery.
    events.failFirst.set('r1', 5);
    await bindings.invoke('orders-out', 'create', { id: 'r1' }, { partitionKey: 'same' });
    await bindings.invoke('orders-out', 'create', { id: 'r2' }, { partitionKey: 'same' });
    await waitFor(() => events.received.some((e) => (e.data as { id: string }).id === 'r2'), 20_000);
    expect(events.attempts.get('r1')).toBe(6);
    const ids = events.received.map((e) => (e.data as { id: string }).id).filter((id) => id.startsWith('r'));
    // Same key → same partition → order kept: r1 is not skipped, and comes first.
    expect(ids).toEqual(['r1', 'r2']);
  }, 30_000);

  it('lists create as its only operation', async () => {
    await expect(app.get(BindingsService).invoke('orders-out', 'get')).rejects.toThrow(/supported operations: create/);
  });
});
