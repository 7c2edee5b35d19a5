/**
 * The drivers against a REAL Azure Service Bus namespace (Standard tier or
 * above: topics need it). Runs only when SERVICEBUS_CONNECTION_STRING is set;
 * this is the one Service Bus suite allowed to skip, because CI has no Azure
 * namespace. Unlike the peer suites it runs with entity management ON, so it
 * also covers what the peer cannot: the HTTPS administration client creating
 * topics, subscriptions and queues with Dapr's creation options, and the
 * service's own maxDeliveryCount dead-lettering. Every entity it creates
 * carries a random suffix and is deleted afterwards.
 */
import { ServiceBusAdministrationClient, ServiceBusClient } from '@azure/service-bus';
import type { PubSubDriver, SubscriptionHandle } from 'nest-dapr/spi';
import { ServiceBusQueuesPubSub } from '../../libs/dapr/src/components/azure-servicebus/servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from '../../libs/dapr/src/components/azure-servicebus/servicebus-topics.pubsub';
import { bytes, componentMetadata, RecordingHandler, text, uniq, waitFor } from './support/servicebus-test-utils';

const CONNECTION_STRING = process.env.SERVICEBUS_CONNECTION_STRING;

if (!CONNECTION_STRING) {
  // Explicit, so a green run never hides that the real-service suite did not run.
  console.log(
    'SKIPPED servicebus-real-namespace.spec.ts: SERVICEBUS_CONNECTION_STRING is not set. ' +
      'Set it to a Service Bus namespace connection string (Standard tier or above, Manage rights) to run the drivers against Azure.',
  );
}

const describeReal = CONNECTION_STRING ? describe : describe.skip;

describeReal('pubsub.azure.servicebus.* against a real namespace (SERVICEBUS_CONNECTION_STRING)', () => {
  jest.setTimeout(120_000);
  const admin = CONNECTION_STRING ? new ServiceBusAdministrationClient(CONNECTION_STRING) : undefined!;
  const topics: string[] = [];
  const queues: string[] = [];
  const drivers: PubSubDriver[] = [];
  const handles: SubscriptionHandle[] = [];

  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close?.()));
  });
  afterAll(async () => {
    await Promise.allSettled([...topics.map((t) => admin.deleteTopic(t)), ...queues.map((q) => admin.deleteQueue(q))]);
  });

  async function driver<T extends PubSubDriver>(d: T, type: 'pubsub.azure.servicebus.topics' | 'pubsub.azure.servicebus.queues', extra: Record<string, string> = {}) {
    drivers.push(d);
    await d.init(componentMetadata(type, { connectionString: CONNECTION_STRING!, ...extra }, 'sb-real', 'sb-real-app'));
    return d;
  }

  it('topics: creates topic and subscription with the creation options, delivers with Dapr metadata', async () => {
    const topic = uniq('nestdapr-t');
    topics.push(topic);
    const d = await driver(new ServiceBusTopicsPubSub(), 'pubsub.azure.servicebus.topics', { maxDeliveryCount: '2', lockDurationInSec: '30' });
    const h = new RecordingHandler();
    handles.push(await d.subscribe({ topic, metadata: { consumerID: 'app-a' } }, h.handle));
    const sub = await admin.getSubscription(topic, 'app-a');
    expect(sub.maxDeliveryCount).toBe(2);
    expect(sub.lockDuration).toBe('PT30S');
    await d.publish({ topic, data: bytes('{"hello":"azure"}'), metadata: { MessageId: 'real-1', Label: 'greeting', tenant: 'x' } });
    await waitFor('delivery', () => h.received.length === 1, 60_000);
    expect(text(h.received[0].data)).toBe('{"hello":"azure"}');
    expect(h.received[0].metadata).toMatchObject({
      'metadata.MessageId': 'real-1',
      'metadata.Label': 'greeting',
      'metadata.tenant': 'x',
      'metadata.DeliveryCount': '1',
    });
  });

  it('topics: RETRY abandons; the service dead-letters at maxDeliveryCount', async () => {
    const topic = uniq('nestdapr-r');
    topics.push(topic);
    const d = await driver(new ServiceBusTopicsPubSub(), 'pubsub.azure.servicebus.topics', { maxDeliveryCount: '2' });
    const h = new RecordingHandler(() => 'RETRY');
    handles.push(await d.subscribe({ topic, metadata: { consumerID: 'app-r' } }, h.handle));
    await d.publish({ topic, data: bytes('poison'), metadata: { MessageId: 'poison-1' } });
    await waitFor('two attempts', () => h.received.length >= 2, 60_000);
    expect(h.received.slice(0, 2).map((m) => m.metadata['metadata.DeliveryCount'])).toEqual(['1', '2']);
    const client = new ServiceBusClient(CONNECTION_STRING!);
    try {
      const dlq = client.createReceiver(topic, 'app-r', { subQueueType: 'deadLetter' });
      const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 30_000 });
      expect(dead?.messageId).toBe('poison-1');
      expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      await dlq.completeMessage(dead);
    } finally {
      await client.close();
    }
  });

  it('topics with requireSessions: FIFO within each session', async () => {
    const topic = uniq('nestdapr-s');
    topics.push(topic);
    const d = await driver(new ServiceBusTopicsPubSub(), 'pubsub.azure.servicebus.topics');
    const h = new RecordingHandler();
    handles.push(await d.subscribe({ topic, metadata: { consumerID: 'app-s', requireSessions: 'true', sessionIdleTimeoutInSec: '5' } }, h.handle));
    expect((await admin.getSubscription(topic, 'app-s')).requiresSession).toBe(true);
    for (let i = 0; i < 5; i++) {
      for (const session of ['s1', 's2']) await d.publish({ topic, data: bytes(`${session}-${i}`), metadata: { SessionId: session } });
    }
    await waitFor('all ten', () => h.received.length >= 10, 90_000);
    for (const session of ['s1', 's2']) {
      const seen = h.received.filter((m) => m.metadata['metadata.SessionId'] === session).map((m) => text(m.data));
      expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `${session}-${i}`));
    }
  });

  it('queues: creates the queue, bulk publishes, delivers each message once', async () => {
    const queue = uniq('nestdapr-q');
    queues.push(queue);
    const d = await driver(new ServiceBusQueuesPubSub(), 'pubsub.azure.servicebus.queues');
    const h = new RecordingHandler();
    handles.push(await d.subscribe({ topic: queue, metadata: {} }, h.handle));
    const res = await d.bulkPublish!({
      topic: queue,
      entries: [...Array(5)].map((_, i) => ({ entryId: String(i), event: bytes(`q${i}`), metadata: {} })),
      metadata: {},
    });
    expect(res.failedEntries).toEqual([]);
    await waitFor('all five', () => new Set(h.texts()).size === 5, 60_000);
    expect(h.texts().sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
  });
});
