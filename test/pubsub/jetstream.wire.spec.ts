import { Injectable, type INestApplication } from '@nestjs/common';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { PubSubService, Subscribe, type CloudEvent } from 'nest-dapr';
import { Recorder, startApp, waitFor } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { uniqueName } from './support/broker-test-utils';
import { deleteStreams, NATS_URL, rawNats } from './support/nats-test-utils';

/**
 * Wire check against a plain nats client: what PubSubService puts on a
 * JetStream stream is what Dapr's component puts there (subject = topic,
 * payload = the CloudEvent 1.0 JSON, one header Nats-Msg-Id = the CloudEvent
 * id, publish metadata not written), a message another client publishes
 * Dapr's way is delivered, and the consumer a subscription creates on the
 * server is the one Dapr's component asks for. The stream is created by the
 * test, as Dapr expects (no autoCreateStream).
 */
describe('pubsub.jetstream on the wire', () => {
  let app: INestApplication | undefined;
  let nc: NatsConnection;
  const prefix = uniqueName('wire');

  beforeAll(async () => {
    nc = await rawNats();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await nc.close();
    await deleteStreams(prefix);
  });

  async function stream(topic: string): Promise<string> {
    const name = `${prefix}-${topic.split('.').pop()}`;
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects: [topic] });
    return name;
  }

  it('publishes the CloudEvent on the topic subject with its id as Nats-Msg-Id, and nothing else', async () => {
    const topic = `${prefix}.orders`;
    const name = await stream(topic);
    const appId = `${prefix}-app`;
    app = await startApp({ appId, components: [{ name: 'jsps', type: 'pubsub.jetstream', metadata: { natsURL: NATS_URL } }] });
    const pub = app.get(PubSubService);
    await pub.publish('jsps', topic, { orderId: 42 }, { metadata: { tenant: 'acme' } });

    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(name, { seq: 1 });
    expect(stored.subject).toBe(topic);
    const ce = JSON.parse(new TextDecoder().decode(stored.data)) as Record<string, unknown>;
    expectDaprCloudEvent(ce, { source: appId, topic, pubsubname: 'jsps', data: { orderId: 42 } });
    expect(stored.header.get('Nats-Msg-Id')).toBe(ce.id);
    expect(stored.header.keys()).toEqual(['Nats-Msg-Id']);

    // The id deduplicates: the same app-supplied CloudEvent twice is stored once (the stream's duplicate window).
    const own = { id: `${prefix}-dup`, source: 'mine', type: 't', specversion: '1.0', datacontenttype: 'application/json', data: { n: 1 } };
    await pub.publish('jsps', topic, own, { contentType: 'application/cloudevents+json' });
    await pub.publish('jsps', topic, own, { contentType: 'application/cloudevents+json' });
    const info = await jsm.streams.info(name);
    expect(info.state.messages).toBe(2);
    expect((await jsm.streams.getMessage(name, { seq: 2 })).header.get('Nats-Msg-Id')).toBe(`${prefix}-dup`);

    // A raw payload that is not a JSON object goes without a message id, as in Dapr.
    await pub.publish('jsps', topic, new TextEncoder().encode('plain bytes'), { metadata: { rawPayload: 'true' } });
    const raw = await jsm.streams.getMessage(name, { seq: 3 });
    expect(new TextDecoder().decode(raw.data)).toBe('plain bytes');
    expect(raw.header?.get('Nats-Msg-Id') ?? '').toBe('');
  });

  it('delivers a CloudEvent another client published the Dapr way, and creates Dapr\'s consumer', async () => {
    const topic = `${prefix}.inbound`;
    const name = await stream(topic);
    const durable = `${prefix}-durable`;
    const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'jsps', topic })
      on(data: unknown, event: CloudEvent) {
        rec.add('in', { data, event });
      }
    }
    const metadata = {
      natsURL: NATS_URL,
      durableName: durable,
      queueGroupName: 'workers',
      ackWait: '7s',
      maxDeliver: '4',
      maxAckPending: '50',
      deliverPolicy: 'new',
    };
    app = await startApp({ appId: `${prefix}-in`, components: [{ name: 'jsps', type: 'pubsub.jetstream', metadata }], providers: [Handlers] });

    const jsm = await nc.jetstreamManager();
    const ci = await jsm.consumers.info(name, durable);
    expect(ci.config).toMatchObject({
      durable_name: durable,
      deliver_group: 'workers',
      filter_subject: topic,
      deliver_policy: 'new',
      ack_policy: 'explicit',
      ack_wait: 7_000_000_000,
      max_deliver: 4,
      max_ack_pending: 50,
      replay_policy: 'instant',
    });
    expect(ci.config.deliver_subject).toMatch(/^_INBOX\./);
    expect(ci.push_bound).toBe(true);

    const ce = {
      specversion: '1.0',
      id: `${prefix}-ext`,
      source: 'dapr-app',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      topic,
      pubsubname: 'jsps',
      data: { from: 'dapr' },
    };
    const h = natsHeaders();
    h.set('Nats-Msg-Id', ce.id);
    await nc.jetstream().publish(topic, new TextEncoder().encode(JSON.stringify(ce)), { headers: h });
    await waitFor(() => rec.count('in') === 1, 'the delivery');
    expect(rec.get('in')[0].data).toEqual({ from: 'dapr' });
    expect(rec.get('in')[0].event.id).toBe(ce.id);
    // Acked: nothing left pending on the consumer.
    let pending = -1;
    for (let i = 0; i < 100 && pending !== 0; i++) {
      pending = (await jsm.consumers.info(name, durable)).num_ack_pending;
      if (pending) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toBe(0);
  });
});
