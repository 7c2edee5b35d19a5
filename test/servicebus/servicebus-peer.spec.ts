/**
 * Conformance of the AMQP test peer itself, with the raw @azure/service-bus
 * client: each test mirrors documented Service Bus behaviour the peer claims
 * (learn.microsoft.com: "Message transfers, locks, and settlement",
 * "Service Bus dead-letter queues", "AMQP 1.0 in Service Bus", CBS). What
 * the peer does not claim is listed in docs/servicebus-test-peer.md.
 */
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { uniq } from './support/servicebus-test-utils';

jest.setTimeout(30_000);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Service Bus AMQP test peer (raw SDK)', () => {
  let peer: ServiceBusTestPeer;
  let client: ServiceBusClient;

  beforeAll(async () => {
    peer = await ServiceBusTestPeer.start();
    client = new ServiceBusClient(peer.connectionString);
  });
  afterAll(async () => {
    await client.close();
    await peer.close();
  });

  async function receiveOne(topic: string, sub: string, opts: { deadLetter?: boolean } = {}): Promise<[ServiceBusReceivedMessage, () => Promise<void>]> {
    const r = client.createReceiver(topic, sub, opts.deadLetter ? { subQueueType: 'deadLetter' } : {});
    const [m] = await r.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    return [m, () => r.close()];
  }

  it('listens on a free loopback port, never 5672', () => {
    expect(peer.address.host).toBe('127.0.0.1');
    expect(peer.address.port).toBeGreaterThan(0);
    expect(peer.address.port).not.toBe(5672);
    expect(peer.connectionString).toContain('UseDevelopmentEmulator=true');
  });

  it('authorises every entity link with a CBS put-token first', async () => {
    const topic = uniq('cbs');
    peer.createSubscription(topic, 's');
    await client.createSender(topic).sendMessages({ body: 'x' });
    const [m, close] = await receiveOne(topic, 's');
    expect(m.body).toBe('x');
    await close();
    expect(peer.tokens).toEqual(
      expect.arrayContaining([`sb://127.0.0.1:${peer.address.port}/${topic}`, `sb://127.0.0.1:${peer.address.port}/${topic}/Subscriptions/s`]),
    );
  });

  it('fans a topic out: each subscription gets its own copy of single and batched sends', async () => {
    const topic = uniq('fan');
    peer.createSubscription(topic, 'a');
    peer.createSubscription(topic, 'b');
    const sender = client.createSender(topic);
    const batchesBefore = peer.batchesReceived;
    await sender.sendMessages({ body: 'one' });
    await sender.sendMessages([{ body: 'two' }, { body: 'three' }]);
    expect(peer.batchesReceived).toBe(batchesBefore + 1);
    for (const sub of ['a', 'b']) {
      const r = client.createReceiver(topic, sub);
      const got = await r.receiveMessages(3, { maxWaitTimeInMs: 3_000 });
      expect(got.map((m) => m.body)).toEqual(['one', 'two', 'three']);
      for (const m of got) await r.completeMessage(m);
      await r.close();
    }
    await sender.close();
  });

  it('peek-lock deliveries carry a GUID lock token, locked-until, sequence number and enqueued time', async () => {
    const topic = uniq('lock');
    peer.createSubscription(topic, 's', { lockDurationMs: 30_000 });
    const before = Date.now();
    await client.createSender(topic).sendMessages([{ body: 1 }, { body: 2 }]);
    const r = client.createReceiver(topic, 's');
    const [m1, m2] = await r.receiveMessages(2, { maxWaitTimeInMs: 3_000 });
    expect(m1.lockToken).toMatch(GUID);
    expect(m1.lockToken).not.toBe(m2.lockToken);
    expect(m1.lockedUntilUtc!.getTime()).toBeGreaterThanOrEqual(before + 29_000);
    expect(m2.sequenceNumber!.toNumber()).toBeGreaterThan(m1.sequenceNumber!.toNumber());
    expect(m1.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(m1.deliveryCount).toBe(0);
    await r.completeMessage(m1);
    await r.completeMessage(m2);
    // A settled lock is gone: settling again fails like on the service.
    await expect(r.completeMessage(m1)).rejects.toThrow();
    await r.close();
  });

  it('abandon redelivers with deliveryCount + 1; maxDeliveryCount moves it to $DeadLetterQueue', async () => {
    const topic = uniq('maxdc');
    peer.createSubscription(topic, 's', { maxDeliveryCount: 2 });
    await client.createSender(topic).sendMessages({ body: 'poison', messageId: 'm-1' });
    const r = client.createReceiver(topic, 's');
    const [first] = await r.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    await r.abandonMessage(first);
    const [second] = await r.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    expect(second.messageId).toBe('m-1');
    expect(second.deliveryCount).toBe(1);
    await r.abandonMessage(second);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
    await r.close();
    const [dead, close] = await receiveOne(topic, 's', { deadLetter: true });
    expect(dead.messageId).toBe('m-1');
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead.deadLetterErrorDescription).toBe('Message could not be consumed after 2 delivery attempts.');
    expect(dead.deadLetterSource).toBe(`${topic}/Subscriptions/s`);
    await close();
  });

  it('deadLetterMessage moves the message with the given reason and description', async () => {
    const topic = uniq('dl');
    peer.createSubscription(topic, 's');
    await client.createSender(topic).sendMessages({ body: 'bad' });
    const r = client.createReceiver(topic, 's');
    const [again] = await r.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    expect(again.body).toBe('bad');
    await r.deadLetterMessage(again, { deadLetterReason: 'Invalid', deadLetterErrorDescription: 'no customer' });
    await r.close();
    const [dead, closeDead] = await receiveOne(topic, 's', { deadLetter: true });
    expect([dead.deadLetterReason, dead.deadLetterErrorDescription]).toEqual(['Invalid', 'no customer']);
    await closeDead();
  });

  it('drains: receiveMessages on an empty entity returns [] within maxWaitTime', async () => {
    const queue = uniq('empty');
    peer.createQueue(queue);
    const r = client.createReceiver(queue);
    const t0 = Date.now();
    expect(await r.receiveMessages(5, { maxWaitTimeInMs: 300 })).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await r.close();
  });

  it('renew-lock over $management extends the lock; an expired lock redelivers with deliveryCount + 1', async () => {
    const queue = uniq('renew');
    peer.createQueue(queue, { lockDurationMs: 800 });
    await client.createSender(queue).sendMessages({ body: 'r' });
    const r = client.createReceiver(queue, { maxAutoLockRenewalDurationInMs: 0 });
    const [m] = await r.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    const firstLock = m.lockedUntilUtc!.getTime();
    await new Promise((res) => setTimeout(res, 300));
    const renewed = await r.renewMessageLock(m);
    expect(renewed.getTime()).toBeGreaterThan(firstLock);
    // Now let it lapse: the message comes back.
    const [again] = await r.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    expect(again.body).toBe('r');
    expect(again.deliveryCount).toBe(1);
    await r.completeMessage(again);
    await r.close();
    expect(peer.eventsOf('lock-expired').some((e) => e.entity === queue)).toBe(true);
  });

  it('keeps delivering past 2048 settled deliveries on one receiver link', async () => {
    const queue = uniq('many');
    peer.createQueue(queue);
    const sender = client.createSender(queue);
    let left = 2_200;
    while (left > 0) {
      const batch = await sender.createMessageBatch();
      while (left > 0 && batch.tryAddMessage({ body: 'm' })) left--;
      await sender.sendMessages(batch);
    }
    await sender.close();
    const r = client.createReceiver(queue);
    let done = 0;
    const sub = r.subscribe(
      {
        processMessage: async (m) => {
          await r.completeMessage(m);
          done++;
        },
        processError: async () => undefined,
      },
      { autoCompleteMessages: false, maxConcurrentCalls: 100 },
    );
    const deadline = Date.now() + 20_000;
    while (done < 2_200 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    await sub.close();
    await r.close();
    expect(done).toBe(2_200);
  });

  it('refuses links to missing entities with MessagingEntityNotFound', async () => {
    const err = await client.createSender(uniq('nope')).sendMessages({ body: 'x' }).catch((e) => e);
    expect(err.code).toBe('MessagingEntityNotFound');
  });

  it('rejects a message over the link max-message-size with MessageSizeExceeded', async () => {
    const queue = uniq('big');
    peer.createQueue(queue);
    const sender = client.createSender(queue);
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    const err = await sender.sendMessages({ body: Buffer.alloc(300 * 1024) }).catch((e) => e);
    expect(err.code).toBe('MessageSizeExceeded');
    expect(peer.entity(queue)!.availableCount).toBe(0);
    await sender.close();
  });

  it('drops a message whose time-to-live ran out before delivery', async () => {
    const queue = uniq('ttl');
    peer.createQueue(queue);
    await client.createSender(queue).sendMessages([{ body: 'short', timeToLive: 100 }, { body: 'long', timeToLive: 60_000 }]);
    await new Promise((res) => setTimeout(res, 250));
    const r = client.createReceiver(queue);
    const got = await r.receiveMessages(2, { maxWaitTimeInMs: 500 });
    expect(got.map((m) => m.body)).toEqual(['long']);
    await r.completeMessage(got[0]);
    await r.close();
    expect(peer.eventsOf('expired').some((e) => e.entity === queue)).toBe(true);
  });

  it('answers unsupported $management operations with a clear error instead of hanging', async () => {
    const queue = uniq('peek');
    peer.createQueue(queue);
    const r = client.createReceiver(queue);
    await expect(r.peekMessages(1)).rejects.toThrow(/not implemented by the Service Bus test peer/);
    await r.close();
  });
});
