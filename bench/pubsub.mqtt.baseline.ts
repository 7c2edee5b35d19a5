/**
 * The raw-client side of the MQTT row of the pub/sub benchmark: plain mqtt.js
 * doing what pubsub.mqtt3 does — one MQTT 3.1.1 connection for publishing and
 * subscribing, a Dapr CloudEvent 1.0 JSON envelope as the payload, QoS 1 both
 * ways, the envelope decoded and the same handler called on delivery, the
 * PUBACK sent by mqtt.js once the handler returned.
 */
import { connectAsync } from 'mqtt';
import { cloudEvent, type OnData, type RawSide } from './pubsub.baselines';

export async function rawMqtt(opts: { url: string; clientId: string; topic: string; onData: OnData }): Promise<RawSide> {
  const client = await connectAsync(opts.url.replace(/^tcp:/, 'mqtt:'), { clientId: opts.clientId, clean: true, protocolVersion: 4, keepalive: 30 });
  client.on('message', (_topic, payload) => {
    const ce = JSON.parse(payload.toString()) as { data: unknown };
    opts.onData(ce.data);
  });
  await client.subscribeAsync(opts.topic, { qos: 1 });
  return {
    publish: async (topic, data) => {
      await client.publishAsync(topic, cloudEvent('bench', topic, 'mqttps', data), { qos: 1 });
    },
    close: async () => {
      await client.endAsync();
    },
  };
}
