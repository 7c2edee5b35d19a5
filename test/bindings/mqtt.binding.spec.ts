import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { BindingsService, OnBinding } from 'nest-dapr';
import { dropMqttSession, MQTT_URL, rawMqtt } from '../pubsub/support/mqtt-test-utils';
import { bootBindingsApp, uniqueSuffix, waitFor } from './bindings-test-app';

const id = `mqttb-${uniqueSuffix()}`;
const IN_TOPIC = `${id}/in`;
const OUT_TOPIC = `${id}/out`;

@Injectable()
class MqttEvents {
  readonly received: { data: unknown; metadata: Record<string, string> }[] = [];
  readonly attempts = new Map<string, number>();
  /** Events whose id is listed fail this many times before succeeding. */
  failFirst = new Map<string, number>();

  @OnBinding('mqtt-in')
  handle(data: { id: string }, metadata: Record<string, string>) {
    const n = (this.attempts.get(data.id) ?? 0) + 1;
    this.attempts.set(data.id, n);
    if (n <= (this.failFirst.get(data.id) ?? 0)) throw new Error(`simulated failure ${n} for ${data.id}`);
    this.received.push({ data, metadata });
  }
}

/**
 * bindings.mqtt3 on the shared Mosquitto: output `create` publishes the
 * request body as it is (QoS 1) to `topic` or request metadata `topic`, from
 * client `<consumerID>-producer`; the input subscribes as
 * `<consumerID>-consumer`, delivers with metadata `topic`, retries a failed
 * event `backOffMaxRetries` times 5 s apart, and keeps its session.
 */
describe('bindings.mqtt3 (real Mosquitto)', () => {
  let app: TestingModule | undefined;
  let raw: MqttClient;
  const seen: IPublishPacket[] = [];

  beforeAll(async () => {
    raw = await rawMqtt(`${id}-raw`, { onMessage: (p) => seen.push(p) });
    await raw.subscribeAsync(`${id}/#`, { qos: 2 });
    app = await bootBindingsApp(
      [
        { name: 'mqtt-in', type: 'bindings.mqtt3', metadata: { url: MQTT_URL, topic: IN_TOPIC, consumerID: `${id}-in`, backOffMaxRetries: '1' } },
        { name: 'mqtt-out', type: 'bindings.mqtt3', metadata: { url: MQTT_URL, topic: OUT_TOPIC, consumerID: `${id}-out` } },
      ],
      [MqttEvents],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await raw?.endAsync();
    await dropMqttSession(`${id}-in-consumer`);
  });

  it('output create publishes the body as it is at QoS 1, to topic or request metadata topic', async () => {
    const bindings = app!.get(BindingsService);
    expect(await bindings.invoke('mqtt-out', 'create', { id: 'o1' })).toEqual({ data: undefined, metadata: {} });
    await bindings.invoke('mqtt-out', 'create', { id: 'o2' }, { topic: `${id}/elsewhere` });
    await waitFor(() => seen.filter((p) => p.topic !== IN_TOPIC).length === 2, 20_000);
    const [first, second] = seen.filter((p) => p.topic !== IN_TOPIC);
    expect(first.topic).toBe(OUT_TOPIC);
    expect(JSON.parse(first.payload.toString())).toEqual({ id: 'o1' });
    expect(first.qos).toBe(1);
    expect(first.retain).toBe(false);
    expect(second.topic).toBe(`${id}/elsewhere`);
  }, 30_000);

  it('input delivers what a plain client publishes, with metadata topic', async () => {
    const events = app!.get(MqttEvents);
    await raw.publishAsync(IN_TOPIC, JSON.stringify({ id: 'i1' }), { qos: 1 });
    await waitFor(() => events.received.some((e) => (e.data as { id: string }).id === 'i1'), 20_000);
    const got = events.received.find((e) => (e.data as { id: string }).id === 'i1')!;
    expect(got.metadata).toMatchObject({ topic: IN_TOPIC });
  }, 30_000);

  it('retries a failing event backOffMaxRetries times, 5 s apart, after the inbound policy', async () => {
    const events = app!.get(MqttEvents);
    // 4 attempts per round (1 + 3 built-in retries); the second round, 5 s later, succeeds on its 2nd attempt.
    events.failFirst.set('r1', 5);
    const started = Date.now();
    await raw.publishAsync(IN_TOPIC, JSON.stringify({ id: 'r1' }), { qos: 1 });
    await waitFor(() => events.received.some((e) => (e.data as { id: string }).id === 'r1'), 30_000);
    expect(events.attempts.get('r1')).toBe(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
  }, 40_000);

  it('keeps the input session (client id <consumerID>-consumer) while it is down', async () => {
    await app!.close();
    app = undefined;
    await raw.publishAsync(IN_TOPIC, JSON.stringify({ id: 'queued' }), { qos: 1 });
    const resumed: IPublishPacket[] = [];
    const session = await rawMqtt(`${id}-in-consumer`, { clean: false, onMessage: (p) => resumed.push(p) });
    await waitFor(() => resumed.length === 1, 20_000);
    expect(JSON.parse(resumed[0].payload.toString())).toEqual({ id: 'queued' });
    expect(resumed[0].qos).toBe(1);
    await session.endAsync();
  }, 30_000);

  it('refuses a component without topic or consumerID', async () => {
    await expect(bootBindingsApp([{ name: 'b', type: 'bindings.mqtt3', metadata: { url: MQTT_URL, consumerID: 'x' } }])).rejects.toThrow(/topic/);
    await expect(bootBindingsApp([{ name: 'b', type: 'bindings.mqtt3', metadata: { url: MQTT_URL, topic: 't' } }])).rejects.toThrow(/consumerID/);
  });
});
