/**
 * The raw-client side of the MQTT row of the pub/sub benchmark: plain mqtt.js
 * doing what pubsub.mqtt3 does — a Dapr CloudEvent 1.0 JSON envelope as the
 * payload, QoS 1 both ways, the envelope decoded and the same handler called
 * on delivery, the PUBACK sent by mqtt.js once the handler returned.
 *
 * It publishes and subscribes on two connections, the faster arrangement for
 * plain mqtt.js: its packet loop handles one inbound packet at a time and
 * waits for each PUBACK's socket write before reading the next, so on one
 * shared connection the PUBACKs of its own publishes queue behind the
 * deliveries (about 5× slower here). The driver uses one connection, as Dapr
 * does, and acknowledges without holding the loop (mqtt-deferred-acks.ts).
 * Both sides turn Nagle's algorithm off, as the driver does (Go's default).
 */
import { connectAsync } from 'mqtt';
import { cloudEvent, type OnData, type RawSide } from './pubsub.baselines';

export async function rawMqtt(opts: { url: string; clientId: string; topic: string; onData: OnData }): Promise<RawSide> {
  const url = opts.url.replace(/^tcp:/, 'mqtt:');
  const options = { clean: true, protocolVersion: 4 as const, keepalive: 30 };
  const subscriber = await connectAsync(url, { ...options, clientId: `${opts.clientId}-sub` });
  const publisher = await connectAsync(url, { ...options, clientId: `${opts.clientId}-pub` });
  for (const c of [subscriber, publisher]) (c.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
  subscriber.on('message', (_topic, payload) => {
    const ce = JSON.parse(payload.toString()) as { data: unknown };
    opts.onData(ce.data);
  });
  await subscriber.subscribeAsync(opts.topic, { qos: 1 });
  return {
    publish: async (topic, data) => {
      await publisher.publishAsync(topic, cloudEvent('bench', topic, 'mqttps', data), { qos: 1 });
    },
    close: async () => {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    },
  };
}
