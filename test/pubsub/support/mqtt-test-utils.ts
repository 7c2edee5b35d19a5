import { connect, type IPublishPacket, type MqttClient } from 'mqtt';

/** The shared Mosquitto (scripts/services.sh starts it). */
export const MQTT_URL = process.env.MQTT_URL ?? 'tcp://127.0.0.1:1883';

/**
 * A raw mqtt.js client (no reconnects), for asserting what is on the wire.
 * `onMessage` is attached before the socket opens: a resumed session's queued
 * messages arrive right after CONNACK, before a connect promise's continuation runs.
 */
export function rawMqtt(
  clientId: string,
  opts: { clean?: boolean; url?: string; onMessage?: (packet: IPublishPacket) => void } = {},
): Promise<MqttClient> {
  const client = connect((opts.url ?? MQTT_URL).replace(/^tcp:/, 'mqtt:'), {
    clientId,
    clean: opts.clean ?? true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  if (opts.onMessage) client.on('message', (_topic, _payload, packet) => opts.onMessage!(packet));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Removes the broker's session of `clientId` (a clean connect ends it). */
export async function dropMqttSession(clientId: string, url?: string): Promise<void> {
  await (await rawMqtt(clientId, { clean: true, url })).endAsync();
}
