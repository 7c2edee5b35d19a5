import type { NatsConnection } from 'nats';
import { JetStreamPubSub } from '../../libs/dapr/src/components/jetstream/jetstream.pubsub';
import { ComponentConfigError } from '../../libs/dapr/src/errors/component-config.error';
import type { DeliveryOutcome, PubSubMessage, SubscriptionHandle } from '../../libs/dapr/src/spi/pubsub.spi';
import { componentMetadata, sleep, uniqueName, waitFor } from './support/broker-test-utils';
import { deleteStreams, NATS_URL, rawNats } from './support/nats-test-utils';

/**
 * The driver against the real NATS server: Dapr's consumer options do what
 * the server makes of them (deliverPolicy, maxDeliver, ackPolicy, durable
 * consumers with a queue group), and bad metadata fails with a typed error.
 * Each test has its own stream and subjects.
 */
describe('pubsub.jetstream driver', () => {
  const prefix = uniqueName('jsdrv');
  let nc: NatsConnection;
  const drivers: JetStreamPubSub[] = [];
  let n = 0;

  beforeAll(async () => {
    nc = await rawNats();
  });

  afterEach(async () => {
    await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
  });

  afterAll(async () => {
    await nc.close();
    await deleteStreams(prefix);
  });

  /** A fresh stream with one subject. */
  async function newTopic(): Promise<{ stream: string; topic: string }> {
    n++;
    const stream = `${prefix}-${n}`;
    const topic = `${prefix}.t${n}`;
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [topic] });
    return { stream, topic };
  }

  async function driver(props: Record<string, string> = {}): Promise<JetStreamPubSub> {
    const d = new JetStreamPubSub();
    drivers.push(d);
    await d.init(componentMetadata('jsps', 'pubsub.jetstream', { natsURL: NATS_URL, ...props }));
    return d;
  }

  async function publishAll(d: JetStreamPubSub, topic: string, items: string[]): Promise<void> {
    for (const text of items) await d.publish({ topic, data: new TextEncoder().encode(text), metadata: {} });
  }

  function collect(d: JetStreamPubSub, topic: string, outcome: (m: PubSubMessage) => DeliveryOutcome = () => 'SUCCESS', metadata: Record<string, string> = {}) {
    const got: string[] = [];
    const msgs: PubSubMessage[] = [];
    const handle = d.subscribe({ topic, metadata }, async (m) => {
      got.push(new TextDecoder().decode(m.data));
      msgs.push(m);
      return outcome(m);
    });
    return { got, msgs, handle };
  }

  it('deliverPolicy all, last and new start where Dapr says', async () => {
    const { topic } = await newTopic();
    const d = await driver();
    await publishAll(d, topic, ['a', 'b', 'c']);

    const all = collect(d, topic);
    await all.handle;
    await waitFor(() => all.got.length === 3, 'all three');
    expect(all.got).toEqual(['a', 'b', 'c']);
    expect(all.msgs[0].metadata).toEqual({ Topic: topic });

    const last = collect(await driver({ deliverPolicy: 'last' }), topic);
    await last.handle;
    await waitFor(() => last.got.length === 1, 'the last one');

    const fresh = collect(await driver({ deliverPolicy: 'new' }), topic);
    await fresh.handle;
    await publishAll(d, topic, ['d']);
    await waitFor(() => fresh.got.length === 1 && last.got.length === 2, 'the new message on both');
    await sleep(500);
    expect(last.got).toEqual(['c', 'd']);
    expect(fresh.got).toEqual(['d']);
  });

  it('deliverPolicy sequence and time start at startSequence / startTime', async () => {
    const { stream, topic } = await newTopic();
    const d = await driver();
    await publishAll(d, topic, ['s1', 's2', 's3']);
    const bySeq = collect(await driver({ deliverPolicy: 'sequence', startSequence: '2' }), topic);
    await bySeq.handle;
    await waitFor(() => bySeq.got.length === 2, 'from sequence 2');
    expect(bySeq.got).toEqual(['s2', 's3']);

    // startTime is Unix seconds: wait past a second boundary, then publish.
    const jsm = await nc.jetstreamManager();
    const lastTime = Date.parse((await jsm.streams.getMessage(stream, { seq: 3 })).time.toISOString());
    const start = Math.floor(lastTime / 1000) + 1;
    await sleep(Math.max(0, start * 1000 - Date.now()) + 50);
    await publishAll(d, topic, ['t1']);
    const byTime = collect(await driver({ deliverPolicy: 'time', startTime: String(start) }), topic);
    await byTime.handle;
    await waitFor(() => byTime.got.length === 1, 'from startTime');
    await sleep(500);
    expect(byTime.got).toEqual(['t1']);
  });

  it('maxDeliver bounds redeliveries of a message the handler keeps failing', async () => {
    const { topic } = await newTopic();
    const d = await driver({ maxDeliver: '3', ackWait: '200ms' });
    const failing = collect(d, topic, () => 'RETRY');
    await failing.handle;
    await publishAll(d, topic, ['poison']);
    await waitFor(() => failing.got.length === 3, 'three deliveries');
    await sleep(1500);
    expect(failing.got).toEqual(['poison', 'poison', 'poison']);
  });

  it('heartbeat and flowControl: idle heartbeats and flow-control requests never reach the handler', async () => {
    const { topic } = await newTopic();
    const d = await driver({ heartbeat: '500ms', flowControl: 'true' });
    const sub = collect(d, topic);
    await sub.handle;
    await publishAll(d, topic, ['h1', 'h2']);
    // Idle long enough for several heartbeats, then more messages.
    await sleep(2000);
    await publishAll(d, topic, ['h3']);
    await waitFor(() => sub.got.length === 3, 'three messages');
    await sleep(1200);
    expect(sub.got).toEqual(['h1', 'h2', 'h3']);
  });

  it('ackPolicy none delivers once even when the handler fails', async () => {
    const { topic } = await newTopic();
    const d = await driver({ ackPolicy: 'none', ackWait: '200ms' });
    const failing = collect(d, topic, () => 'RETRY');
    await failing.handle;
    await publishAll(d, topic, ['once']);
    await waitFor(() => failing.got.length === 1, 'one delivery');
    await sleep(1200);
    expect(failing.got).toEqual(['once']);
  });

  it('durableName + queueGroupName: instances share the messages; the durable consumer resumes after a restart', async () => {
    const { stream, topic } = await newTopic();
    const durable = `${prefix}-dur`;
    const props = { durableName: durable, queueGroupName: 'grp', concurrency: 'parallel' };
    const ok = (): DeliveryOutcome => 'SUCCESS';
    const one = collect(await driver(props), topic, ok);
    const two = collect(await driver(props), topic, ok);
    await Promise.all([one.handle, two.handle]);
    const items = Array.from({ length: 60 }, (_, i) => `q${i}`);
    await publishAll(drivers[0], topic, items);
    const union = () => new Set([...one.got, ...two.got]);
    await waitFor(() => union().size === 60, 'all sixty across the group');
    expect(one.got.length).toBeGreaterThan(0);
    expect(two.got.length).toBeGreaterThan(0);
    expect(one.got.length + two.got.length).toBeLessThan(120);

    // Both stop; messages published meanwhile wait on the durable consumer.
    await Promise.all(drivers.splice(0).map((x) => x.close()));
    await publishAll(await driver(), topic, ['later-1', 'later-2']);
    const back = collect(await driver(props), topic);
    await back.handle;
    await waitFor(() => back.got.length === 2, 'the two published while down');
    await sleep(500);
    expect(back.got.sort()).toEqual(['later-1', 'later-2']);
    const jsm = await nc.jetstreamManager();
    expect((await jsm.consumers.info(stream, durable)).config.deliver_group).toBe('grp');
  });

  it('refuses one durableName for two topics, and takes a durableName per subscription', async () => {
    const a = await newTopic();
    const jsm = await nc.jetstreamManager();
    const otherTopic = `${prefix}.other${n}`;
    await jsm.streams.update(a.stream, { subjects: [a.topic, otherTopic] });
    const d = await driver({ durableName: `${prefix}-shared` });
    await d.subscribe({ topic: a.topic, metadata: {} }, async () => 'SUCCESS');
    await expect(d.subscribe({ topic: otherTopic, metadata: {} }, async () => 'SUCCESS')).rejects.toThrow(ComponentConfigError);
    await expect(d.subscribe({ topic: otherTopic, metadata: {} }, async () => 'SUCCESS')).rejects.toThrow(/already consumes topic/);
    const own: SubscriptionHandle = await d.subscribe({ topic: otherTopic, metadata: { durableName: `${prefix}-own` } }, async () => 'SUCCESS');
    expect((await jsm.consumers.info(a.stream, `${prefix}-own`)).config.filter_subject).toBe(otherTopic);
    await own.stop();
  });

  it('fails clearly without a stream, and creates or extends one with autoCreateStream', async () => {
    const d = await driver();
    const topic = `${prefix}.nostream`;
    await expect(d.publish({ topic, data: new TextEncoder().encode('x'), metadata: {} })).rejects.toThrow(/publish to ".*nostream" failed/);
    await expect(d.subscribe({ topic, metadata: {} }, async () => 'SUCCESS')).rejects.toThrow(/no stream covers subject/);

    const stream = `${prefix}-auto`;
    const auto = await driver({ streamName: stream, autoCreateStream: 'true' });
    await auto.publish({ topic: `${prefix}.auto1`, data: new TextEncoder().encode('1'), metadata: {} });
    await auto.publish({ topic: `${prefix}.auto2`, data: new TextEncoder().encode('2'), metadata: {} });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    expect(info.config.subjects).toEqual([`${prefix}.auto1`, `${prefix}.auto2`]);
    expect(info.state.messages).toBe(2);
  });

  it('rejects bad metadata with typed errors', async () => {
    const bad = async (props: Record<string, string>) => {
      const d = new JetStreamPubSub();
      await d.init(componentMetadata('jsps', 'pubsub.jetstream', props)).finally(() => d.close());
    };
    await expect(bad({})).rejects.toThrow(ComponentConfigError);
    await expect(bad({ natsURL: NATS_URL, jwt: 'x' })).rejects.toThrow(/seedKey/);
    await expect(bad({ natsURL: NATS_URL, tls_client_key: 'k' })).rejects.toThrow(/tls_client_cert/);
    await expect(bad({ natsURL: NATS_URL, deliverPolicy: 'oldest' })).rejects.toThrow(/deliverPolicy/);
    await expect(bad({ natsURL: NATS_URL, deliverPolicy: 'sequence' })).rejects.toThrow(/startSequence/);
    await expect(bad({ natsURL: NATS_URL, backOff: '1s,soon' })).rejects.toThrow(/backOff/);
    await expect(bad({ natsURL: NATS_URL, ackPolicy: 'sometimes' })).rejects.toThrow(/ackPolicy/);
  });
});
