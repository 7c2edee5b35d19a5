import { Injectable, type INestApplication } from '@nestjs/common';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { PubSubService, Subscribe, type CloudEvent, type ComponentDefinition } from 'nest-dapr';
import { Recorder, startApp, waitFor } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { uniqueName } from './support/broker-test-utils';
import { dropMqttSession, MQTT_URL, rawMqtt } from './support/mqtt-test-utils';

/**
 * Wire checks against a plain mqtt.js client on the shared Mosquitto: what
 * the driver puts on the broker is what Dapr's pubsub.mqtt3 puts there — the
 * CloudEvent JSON as the PUBLISH payload on the topic itself, the component's
 * QoS, the retain flag from `retain` (or request metadata `retain`), and a
 * connection whose client id is `consumerID` holding a persistent subscription
 * at that QoS — and a CloudEvent a Dapr sidecar publishes reaches a handler.
 */
describe('pubsub.mqtt3 on the wire', () => {
  const apps: INestApplication[] = [];
  const raws: MqttClient[] = [];

  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    for (const r of raws.splice(0)) await r.endAsync();
  });

  const component = (metadata: Record<string, string>): ComponentDefinition => ({
    name: 'mqttps',
    type: 'pubsub.mqtt3',
    metadata: { url: MQTT_URL, ...metadata },
  });

  async function raw(clientId: string, clean = true): Promise<MqttClient> {
    const c = await rawMqtt(clientId, { clean });
    raws.push(c);
    return c;
  }

  async function app(appId: string, metadata: Record<string, string>, providers: (new () => unknown)[] = []): Promise<INestApplication> {
    const a = await startApp({ appId, components: [component(metadata)], providers });
    apps.push(a);
    return a;
  }

  /** Collects PUBLISH packets the raw client receives on `filter`. */
  async function capture(client: MqttClient, filter: string, qos: 0 | 1 | 2 = 2): Promise<IPublishPacket[]> {
    const seen: IPublishPacket[] = [];
    client.on('message', (_topic, _payload, packet) => seen.push(packet));
    await client.subscribeAsync(filter, { qos });
    return seen;
  }

  it('publishes the CloudEvent as the payload, on the topic, at the component QoS, not retained', async () => {
    const id = uniqueName('wire');
    const topic = `${id}/orders`;
    const seen = await capture(await raw(`${id}-raw`), topic);
    const a = await app(`${id}-app`, { consumerID: `${id}-pub`, cleanSession: 'true' });
    await a.get(PubSubService).publish('mqttps', topic, { orderId: 42 });
    await waitFor(() => seen.length === 1, 'the raw client to receive the publish');
    const packet = seen[0];
    expect(packet.topic).toBe(topic);
    // Default qos 1: the subscriber asked for 2, so the delivery carries the publisher's QoS.
    expect(packet.qos).toBe(1);
    expect(packet.retain).toBe(false);
    const ce = JSON.parse(packet.payload.toString()) as Record<string, unknown>;
    expectDaprCloudEvent(ce, { source: `${id}-app`, topic, pubsubname: 'mqttps', data: { orderId: 42 } });
  });

  it('uses qos and retain from the metadata, and request metadata retain overrides the component', async () => {
    const id = uniqueName('wire-qos');
    const t0 = `${id}/q0`;
    const t2 = `${id}/q2`;
    const seen0 = await capture(await raw(`${id}-raw0`), t0);
    const seen2 = await capture(await raw(`${id}-raw2`), t2);
    const a0 = await app(`${id}-a0`, { consumerID: `${id}-p0`, qos: '0', cleanSession: 'true' });
    const a2 = await app(`${id}-a2`, { consumerID: `${id}-p2`, qos: '2', retain: 'true', cleanSession: 'true' });
    await a0.get(PubSubService).publish('mqttps', t0, 'zero');
    await a2.get(PubSubService).publish('mqttps', t2, 'two');
    await waitFor(() => seen0.length === 1 && seen2.length === 1, 'both publishes');
    expect(seen0[0].qos).toBe(0);
    expect(seen2[0].qos).toBe(2);

    // retain: a client subscribing later still gets the retained message, flagged as retained.
    const late = await capture(await raw(`${id}-late`), t2);
    await waitFor(() => late.length === 1, 'the retained message');
    expect(late[0].retain).toBe(true);
    expect(JSON.parse(late[0].payload.toString()).data).toBe('two');

    // Request metadata retain=true overrides the component's default (false).
    await a0.get(PubSubService).publish('mqttps', t0, 'kept', { metadata: { retain: 'true' } });
    const late0 = await capture(await raw(`${id}-late0`), t0);
    await waitFor(() => late0.length === 1, 'the message retained through request metadata');
    expect(JSON.parse(late0[0].payload.toString()).data).toBe('kept');
    await expect(a0.get(PubSubService).publish('mqttps', t0, 'x', { metadata: { retain: 'maybe' } })).rejects.toThrow(/invalid retain maybe/);

    // Clean up the retained messages (an empty retained payload deletes them).
    const cleaner = await raw(`${id}-clean`);
    await cleaner.publishAsync(t0, '', { retain: true, qos: 1 });
    await cleaner.publishAsync(t2, '', { retain: true, qos: 1 });
  });

  it('connects as consumerID and keeps a persistent subscription at the component QoS (cleanSession false)', async () => {
    const id = uniqueName('wire-session');
    const topic = `${id}/events`;
    const clientId = `${id}-consumer`;
    const rec = new Recorder<string>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic })
      on(data: string) {
        rec.add('got', data);
      }
    }
    const a = await app(`${id}-app`, { consumerID: clientId }, [Handlers]);
    const pub = await raw(`${id}-pub`);
    await a.get(PubSubService).publish('mqttps', topic, 'live');
    await waitFor(() => rec.count('got') === 1, 'the live event');
    await a.close();
    apps.splice(apps.indexOf(a), 1);

    // While the app is down the broker queues for its session: publish a Dapr-shaped CloudEvent.
    const ce = { specversion: '1.0', id: `ce-${id}`, source: 'dapr-app', type: 'com.dapr.event.sent', datacontenttype: 'text/plain', data: 'queued', topic, pubsubname: 'mqttps' };
    await pub.publishAsync(topic, JSON.stringify(ce), { qos: 1 });

    // The session belongs to client id `consumerID`: a raw client resuming it gets the queued message at QoS 1.
    const seen: IPublishPacket[] = [];
    const resumed = await rawMqtt(clientId, { clean: false, onMessage: (packet) => seen.push(packet) });
    raws.push(resumed);
    await waitFor(() => seen.length === 1, 'the queued message for the session');
    expect(seen[0].topic).toBe(topic);
    expect(seen[0].qos).toBe(1);
    expect(JSON.parse(seen[0].payload.toString()).id).toBe(`ce-${id}`);
    await resumed.endAsync();
    raws.splice(raws.indexOf(resumed), 1);
    await dropMqttSession(clientId);
  });

  it('delivers a CloudEvent published by a Dapr sidecar (raw client) to the handler', async () => {
    const id = uniqueName('wire-in');
    const topic = `${id}/in`;
    const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic })
      on(data: unknown, event: CloudEvent) {
        rec.add('got', { data, event });
      }
    }
    await app(`${id}-app`, { consumerID: `${id}-c`, cleanSession: 'true' }, [Handlers]);
    const pub = await raw(`${id}-pub`);
    const ce = {
      specversion: '1.0',
      id: `dapr-${id}`,
      source: 'other-app',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      data: { hello: 'mqtt' },
      topic,
      pubsubname: 'mqttps',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    await pub.publishAsync(topic, JSON.stringify(ce), { qos: 1 });
    await waitFor(() => rec.count('got') === 1, 'the sidecar event');
    const got = rec.get('got')[0];
    expect(got.data).toEqual({ hello: 'mqtt' });
    expect(got.event.id).toBe(`dapr-${id}`);
    expect(got.event.source).toBe('other-app');
  });
});
