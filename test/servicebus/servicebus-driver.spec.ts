/**
 * The Service Bus drivers through the REAL @azure/service-bus client, over
 * real AMQP 1.0 on TCP, against the in-repo test peer (a protocol double, see
 * docs/servicebus-test-peer.md). Entity management is HTTPS-only, so every
 * component here sets disableEntityManagement and the peer declares entities.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { ComponentConfigError, MessageTooLargeError, ServiceBusConnectionStringError } from 'nest-dapr';
import type { PubSubDriver, SubscriptionHandle } from 'nest-dapr/spi';
import { ServiceBusQueuesPubSub } from '../../libs/dapr/src/components/azure-servicebus/servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from '../../libs/dapr/src/components/azure-servicebus/servicebus-topics.pubsub';
import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { bytes, componentMetadata, RecordingHandler, text, uniq, waitFor } from './support/servicebus-test-utils';

jest.setTimeout(30_000);

describe('pubsub.azure.servicebus.* drivers against the AMQP test peer (real SDK)', () => {
  let peer: ServiceBusTestPeer;
  const drivers: PubSubDriver[] = [];
  const handles: SubscriptionHandle[] = [];

  beforeAll(async () => {
    peer = await ServiceBusTestPeer.start();
  });
  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close?.()));
  });
  afterAll(async () => {
    await peer.close();
  });

  async function topics(extra: Record<string, string> = {}, appId = 'sb-app'): Promise<ServiceBusTopicsPubSub> {
    const d = new ServiceBusTopicsPubSub();
    drivers.push(d);
    await d.init(
      componentMetadata('pubsub.azure.servicebus.topics', { connectionString: peer.connectionString, disableEntityManagement: 'true', ...extra }, 'sb', appId),
    );
    return d;
  }

  async function queues(extra: Record<string, string> = {}): Promise<ServiceBusQueuesPubSub> {
    const d = new ServiceBusQueuesPubSub();
    drivers.push(d);
    await d.init(componentMetadata('pubsub.azure.servicebus.queues', { connectionString: peer.connectionString, disableEntityManagement: 'true', ...extra }));
    return d;
  }

  async function subscribe(d: PubSubDriver, topic: string, h: RecordingHandler, metadata: Record<string, string> = {}) {
    const handle = await d.subscribe({ topic, metadata }, h.handle);
    handles.push(handle);
    return handle;
  }

  it('declares native TTL and bulk publish', async () => {
    const d = await topics();
    expect([...d.features()].sort()).toEqual(['BULK_PUBSUB', 'MESSAGE_TTL']);
  });

  it('maps publish metadata to message properties and delivers Dapr metadata.* keys', async () => {
    const topic = uniq('orders');
    peer.createSubscription(topic, 'sub-a');
    const d = await topics();
    const h = new RecordingHandler();
    await subscribe(d, topic, h, { consumerID: 'sub-a' });
    await d.publish({
      topic,
      data: bytes('{"id":1}'),
      contentType: 'application/cloudevents+json',
      metadata: {
        MessageId: 'msg-1',
        CorrelationId: 'corr-1',
        Label: 'order.created',
        ReplyTo: 'replies',
        PartitionKey: 'pk-1',
        ttlInSeconds: '120',
        tenant: 'acme',
        empty: '',
      },
    });
    await waitFor('delivery', () => h.received.length === 1);
    const m = h.received[0];
    expect(text(m.data)).toBe('{"id":1}');
    expect(m.topic).toBe(topic);
    expect(m.metadata).toMatchObject({
      'metadata.MessageId': 'msg-1',
      'metadata.CorrelationId': 'corr-1',
      'metadata.Label': 'order.created',
      'metadata.ReplyTo': 'replies',
      'metadata.PartitionKey': 'pk-1',
      'metadata.ContentType': 'application/cloudevents+json',
      'metadata.tenant': 'acme',
      'metadata.DeliveryCount': '1',
    });
    expect(m.metadata['metadata.empty']).toBeUndefined();
    expect(Buffer.from(m.metadata['metadata.LockToken'], 'base64')).toHaveLength(16);
    expect(Number(m.metadata['metadata.SequenceNumber'])).toBeGreaterThan(0);
    // Dapr formats times as HTTP dates.
    expect(m.metadata['metadata.EnqueuedTimeUtc']).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(m.metadata['metadata.LockedUntilUtc']).toMatch(/GMT$/);
    // On the wire: system properties, native TTL, and only the other keys as application properties.
    const wire = peer.sent.find((s) => s.target === topic)!.message;
    expect(wire.message_id).toBe('msg-1');
    expect(wire.correlation_id).toBe('corr-1');
    expect(wire.subject).toBe('order.created');
    expect(wire.ttl).toBe(120_000);
    expect(wire.application_properties).toEqual({ tenant: 'acme' });
    await waitFor('completion', () => peer.entity(`${topic}/Subscriptions/sub-a`)!.lockedCount === 0);
    expect(peer.entity(`${topic}/Subscriptions/sub-a`)!.availableCount).toBe(0);
  });

  it('fans a topic out per consumerID and shares it between instances of one consumerID', async () => {
    const topic = uniq('fanout');
    peer.createSubscription(topic, 'billing');
    peer.createSubscription(topic, 'shipping');
    const pub = await topics();
    const billing1 = new RecordingHandler();
    const billing2 = new RecordingHandler();
    const shipping = new RecordingHandler();
    await subscribe(await topics(), topic, billing1, { consumerID: 'billing' });
    await subscribe(await topics(), topic, billing2, { consumerID: 'billing' });
    await subscribe(await topics(), topic, shipping, { consumerID: 'shipping' });
    for (let i = 0; i < 10; i++) await pub.publish({ topic, data: bytes(`m${i}`), metadata: {} });
    await waitFor('all deliveries', () => shipping.received.length === 10 && billing1.received.length + billing2.received.length === 10);
    expect(shipping.texts().sort()).toEqual([...Array(10)].map((_, i) => `m${i}`).sort());
    expect([...billing1.texts(), ...billing2.texts()].sort()).toEqual(shipping.texts().sort());
    // Competing consumers: both instances got work (the peer round-robins between links with credit).
    expect(billing1.received.length).toBeGreaterThan(0);
    expect(billing2.received.length).toBeGreaterThan(0);
  });

  it('uses the app id as subscription name when consumerID is absent', async () => {
    const topic = uniq('fallback');
    peer.createTopic(topic);
    const appId = uniq('checkout');
    const d = await topics({}, appId);
    const h = new RecordingHandler();
    await subscribe(d, topic, h);
    await waitFor('subscription attach', () => peer.entity(`${topic}/Subscriptions/${appId}`) !== undefined);
    await d.publish({ topic, data: bytes('hello'), metadata: {} });
    await waitFor('delivery', () => h.received.length === 1);
  });

  it('abandons on RETRY so the broker redelivers, and dead-letters at maxDeliveryCount', async () => {
    const topic = uniq('retry');
    peer.createSubscription(topic, 'app', { maxDeliveryCount: 3 });
    const d = await topics();
    const h = new RecordingHandler((m) => (text(m.data) === 'poison' ? 'RETRY' : 'SUCCESS'));
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('poison'), metadata: { MessageId: 'p1' } });
    await d.publish({ topic, data: bytes('fine'), metadata: {} });
    await waitFor('three attempts', () => h.texts().filter((t) => t === 'poison').length === 3);
    const attempts = h.received.filter((m) => text(m.data) === 'poison').map((m) => m.metadata['metadata.DeliveryCount']);
    expect(attempts).toEqual(['1', '2', '3']);
    expect(h.texts().filter((t) => t === 'fine')).toHaveLength(1);
    await waitFor('dead-lettering', () => peer.entity(`${topic}/Subscriptions/app/$DeadLetterQueue`)!.availableCount === 1);
    // The dead-lettered message is readable from $DeadLetterQueue with the broker's reason.
    const client = new ServiceBusClient(peer.connectionString);
    try {
      const dlq = client.createReceiver(topic, 'app', { subQueueType: 'deadLetter' });
      const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
      expect(dead.messageId).toBe('p1');
      expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      await dlq.completeMessage(dead);
    } finally {
      await client.close();
    }
    expect(h.texts().filter((t) => t === 'poison')).toHaveLength(3);
  });

  it('rate-limits abandons with maxRetriableErrorsPerSec', async () => {
    const topic = uniq('ratelimit');
    const sub = peer.createSubscription(topic, 'app', { maxDeliveryCount: 5 });
    const d = await topics({ maxRetriableErrorsPerSec: '4' });
    const at: number[] = [];
    const h = new RecordingHandler(() => {
      at.push(Date.now());
      return 'RETRY';
    });
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('always-retry'), metadata: {} });
    await waitFor('dead-lettered', () => sub.deadLetterQueue!.availableCount === 1, 10_000);
    expect(peer.events.filter((e) => e.entity === sub.path && e.kind === 'abandon')).toHaveLength(5);
    // Five abandons at 4 per second: the fifth delivery cannot come sooner than ~750 ms after the first.
    expect(at).toHaveLength(5);
    expect(at[4] - at[0]).toBeGreaterThanOrEqual(700);
  });

  it('treats a thrown handler as RETRY and completes on DROP', async () => {
    const topic = uniq('outcomes');
    peer.createSubscription(topic, 'app');
    const d = await topics();
    const h = new RecordingHandler((m, attempt) => {
      if (text(m.data) === 'throws' && attempt === 1) throw new Error('boom');
      return text(m.data) === 'drop' ? 'DROP' : 'SUCCESS';
    });
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('throws'), metadata: {} });
    await d.publish({ topic, data: bytes('drop'), metadata: {} });
    await waitFor('retry after throw', () => h.texts().filter((t) => t === 'throws').length === 2);
    const sub = peer.entity(`${topic}/Subscriptions/app`)!;
    await waitFor('settled', () => sub.lockedCount === 0 && sub.availableCount === 0);
    expect(h.texts().filter((t) => t === 'drop')).toHaveLength(1);
    expect(peer.entity(`${topic}/Subscriptions/app/$DeadLetterQueue`)!.availableCount).toBe(0);
  });

  it('abandons a handler that exceeds handlerTimeoutInSec', async () => {
    const topic = uniq('timeout');
    peer.createSubscription(topic, 'app');
    const d = await topics({ handlerTimeoutInSec: '1' });
    const h = new RecordingHandler(async (_m, attempt) => {
      if (attempt === 1) await new Promise((r) => setTimeout(r, 1_500));
      return 'SUCCESS' as const;
    });
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('slow'), metadata: {} });
    await waitFor('redelivery after timeout', () => h.received.length === 2, 8_000);
    expect(h.received[1].metadata['metadata.DeliveryCount']).toBe('2');
  });

  it('renews the lock every lockRenewalInSec while a handler runs past the lock duration', async () => {
    const topic = uniq('renew');
    const sub = peer.createSubscription(topic, 'app', { lockDurationMs: 1_500 });
    const d = await topics({ lockRenewalInSec: '1' });
    const h = new RecordingHandler(async () => {
      await new Promise((r) => setTimeout(r, 3_200));
      return 'SUCCESS' as const;
    });
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('long'), metadata: {} });
    await waitFor('completion', () => peer.events.some((e) => e.entity === sub.path && e.kind === 'complete'), 10_000);
    expect(h.received).toHaveLength(1);
    expect(peer.events.filter((e) => e.entity === sub.path && e.kind === 'renew-lock').length).toBeGreaterThanOrEqual(2);
    expect(peer.events.some((e) => e.entity === sub.path && e.kind === 'lock-expired')).toBe(false);
  });

  it('caps concurrent handlers with maxConcurrentHandlers', async () => {
    const topic = uniq('conc');
    peer.createSubscription(topic, 'app');
    const d = await topics({ maxConcurrentHandlers: '2' });
    let running = 0;
    let peak = 0;
    const h = new RecordingHandler(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      return 'SUCCESS' as const;
    });
    await subscribe(d, topic, h, { consumerID: 'app' });
    for (let i = 0; i < 8; i++) await d.publish({ topic, data: bytes(`c${i}`), metadata: {} });
    await waitFor('all', () => h.received.length === 8);
    expect(peak).toBe(2);
  });

  it('stops delivering after the subscription handle is stopped', async () => {
    const topic = uniq('stop');
    const sub = peer.createSubscription(topic, 'app');
    const d = await topics();
    const h = new RecordingHandler();
    const handle = await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('before'), metadata: {} });
    await waitFor('first', () => h.received.length === 1);
    await handle.stop();
    await d.publish({ topic, data: bytes('after'), metadata: {} });
    await waitFor('message stored', () => sub.availableCount === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.texts()).toEqual(['before']);
  });

  it('bulk-publishes in batches, splits what does not fit, and fails only an oversize entry', async () => {
    const small = await ServiceBusTestPeer.start({ maxMessageSizeInBytes: 4_096 });
    try {
      const topic = uniq('bulk');
      small.createSubscription(topic, 'app');
      const d = new ServiceBusTopicsPubSub();
      drivers.push(d);
      await d.init(componentMetadata('pubsub.azure.servicebus.topics', { connectionString: small.connectionString, disableEntityManagement: 'true' }));
      const entries = [...Array(6)].map((_, i) => ({ entryId: `e${i}`, event: Buffer.alloc(1_200, 65 + i), metadata: {} }));
      entries.splice(3, 0, { entryId: 'huge', event: Buffer.alloc(10_000, 90), metadata: {} });
      const res = await d.bulkPublish!({ topic, entries, metadata: {} });
      expect(res.failedEntries.map((f) => f.entryId)).toEqual(['huge']);
      expect(res.failedEntries[0].error).toMatch(/10000 bytes, more than the 4096 bytes Service Bus accepts/);
      expect(small.sent.filter((s) => s.batched)).toHaveLength(6);
      expect(small.batchesReceived).toBeGreaterThanOrEqual(2);
      expect(small.entity(`${topic}/Subscriptions/app`)!.availableCount).toBe(6);
      // A single publish over the limit is a typed error, nothing sent.
      const err = await d.publish({ topic, data: Buffer.alloc(10_000), metadata: {} }).catch((e) => e);
      expect(err).toBeInstanceOf(MessageTooLargeError);
      expect(err.message).toMatch(/more than the 4096 bytes Service Bus accepts on this entity; nothing was published/);
      expect(small.entity(`${topic}/Subscriptions/app`)!.availableCount).toBe(6);
    } finally {
      await Promise.allSettled(drivers.splice(0).map((d) => d.close?.()));
      await small.close();
    }
  });

  it('with UseDevelopmentEmulator=true, entity management (HTTPS-only) is switched off instead of failing', async () => {
    const topic = uniq('emu');
    peer.createSubscription(topic, 'app');
    const d = new ServiceBusTopicsPubSub();
    drivers.push(d);
    await d.init(componentMetadata('pubsub.azure.servicebus.topics', { connectionString: peer.connectionString }));
    const h = new RecordingHandler();
    await subscribe(d, topic, h, { consumerID: 'app' });
    await d.publish({ topic, data: bytes('no-admin'), metadata: {} });
    await waitFor('delivery', () => h.received.length === 1);
  });

  it('with disableEntityManagement, publishing to a missing topic fails and creates nothing', async () => {
    const d = await topics();
    const topic = uniq('missing');
    await expect(d.publish({ topic, data: bytes('x'), metadata: {} })).rejects.toThrow(/could not be found/);
    expect(peer.entity(`${topic}/Subscriptions/sb-app`)).toBeUndefined();
  });

  it('with disableEntityManagement, subscribing to a missing queue fails instead of retrying forever', async () => {
    const d = await queues();
    await expect(d.subscribe({ topic: uniq('noqueue'), metadata: {} }, async () => 'SUCCESS')).rejects.toThrow(/could not be found/);
  });

  it('queues: competing consumers, redelivery on RETRY', async () => {
    const queue = uniq('jobs');
    peer.createQueue(queue, { maxDeliveryCount: 5 });
    const d = await queues();
    const a = new RecordingHandler((m, attempt) => (text(m.data) === 'j0' && attempt === 1 ? 'RETRY' : 'SUCCESS'));
    const b = new RecordingHandler();
    await subscribe(d, queue, a);
    await subscribe(await queues(), queue, b);
    for (let i = 0; i < 6; i++) await d.publish({ topic: queue, data: bytes(`j${i}`), metadata: {} });
    await waitFor('all processed', () => new Set([...a.texts(), ...b.texts()]).size === 6);
    const q = peer.entity(queue)!;
    await waitFor('settled', () => q.lockedCount === 0 && q.availableCount === 0);
    const all = [...a.received, ...b.received];
    const j0 = all.filter((m) => text(m.data) === 'j0');
    expect(j0.length).toBeGreaterThanOrEqual(1);
    // Each message was handled once, except j0 which a RETRY sent back (when `a` got it first).
    expect(all.length).toBe(6 + (a.texts().includes('j0') ? 1 : 0));
  });

  it('queues: bulk publish and native TTL on the wire', async () => {
    const queue = uniq('bulkq');
    peer.createQueue(queue);
    const d = await queues();
    const res = await d.bulkPublish!({
      topic: queue,
      entries: [
        { entryId: '1', event: bytes('a'), metadata: { ttlInSeconds: '30' } },
        { entryId: '2', event: bytes('b'), metadata: { MessageId: 'fixed' } },
      ],
      metadata: { tenant: 't1' },
    });
    expect(res.failedEntries).toEqual([]);
    const wire = peer.sent.filter((s) => s.target === queue);
    expect(wire.map((w) => w.batched)).toEqual([true, true]);
    expect(wire[0].message.ttl).toBe(30_000);
    expect(wire[1].message.message_id).toBe('fixed');
    expect(wire[1].message.application_properties).toEqual({ tenant: 't1' });
  });

  describe('bad configuration', () => {
    const init = (props: Record<string, string>) => new ServiceBusTopicsPubSub().init(componentMetadata('pubsub.azure.servicebus.topics', props));

    it('names the missing part of a malformed connection string and never prints the key', async () => {
      const key = 'SUPERSECRETKEY123=';
      const noEndpoint = await init({ connectionString: `SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${key}` }).catch((e) => e);
      expect(noEndpoint).toBeInstanceOf(ServiceBusConnectionStringError);
      expect(noEndpoint.message).toMatch(/no Endpoint/);
      expect(noEndpoint.message).not.toContain('SUPERSECRET');
      const noKeyName = await init({ connectionString: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=${key}` }).catch((e) => e);
      expect(noKeyName.message).toMatch(/no SharedAccessKeyName/);
      expect(noKeyName.message).not.toContain('SUPERSECRET');
      const noKey = await init({ connectionString: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root' }).catch((e) => e);
      expect(noKey.message).toMatch(/no SharedAccessKey\b/);
      const badEndpoint = await init({ connectionString: `Endpoint=https://ns/;SharedAccessKeyName=r;SharedAccessKey=${key}` }).catch((e) => e);
      expect(badEndpoint.message).toMatch(/Endpoint must start with sb:\/\//);
      expect(badEndpoint.message).not.toContain('SUPERSECRET');
    });

    it('refuses connectionString together with namespaceName, and neither', async () => {
      const both = await init({ connectionString: peer.connectionString, namespaceName: 'ns.servicebus.windows.net' }).catch((e) => e);
      expect(both).toBeInstanceOf(ComponentConfigError);
      expect(both.message).toMatch(/either "connectionString" or "namespaceName", not both/);
      await expect(init({})).rejects.toThrow(/needs metadata "connectionString" or "namespaceName"/);
    });

    it('rejects non-numeric tuning metadata with the field name', async () => {
      await expect(init({ connectionString: peer.connectionString, maxActiveMessages: 'lots' })).rejects.toThrow(/"maxActiveMessages" "lots" is not an integer/);
    });

    it('rejects a bad ttlInSeconds at publish', async () => {
      const d = await topics();
      await expect(d.publish({ topic: 'any', data: bytes('x'), metadata: { ttlInSeconds: '-5' } })).rejects.toThrow(/ttlInSeconds/);
    });
  });
});
