import type { IPublishPacket, MqttClient } from 'mqtt';

/** A PUBLISH handed to the driver, with the acknowledgement it owes the broker. */
export interface MqttDelivery {
  packet: IPublishPacket;
  /** Sends PUBACK (QoS 1) or PUBCOMP (QoS 2) — once, and only on the connection the message came on. */
  ack(): void;
}

/** Tells mqtt.js not to acknowledge; its packet loop ignores the value and reads the next packet. */
const DEFERRED = new Error('acknowledgement deferred to the handler outcome');

/** The mqtt.js internals used here (stable across mqtt.js 4 and 5). */
interface MqttClientInternals {
  _sendPacket(packet: { cmd: 'puback' | 'pubcomp'; messageId?: number }, cb?: () => void): void;
  incomingStore: { del(packet: IPublishPacket, cb: () => void): void };
}

/**
 * Acknowledges an MQTT message only after its handler succeeded, as Dapr does
 * with paho (`SetAutoAckDisabled(true)`, `SetOrderMatters(false)`): messages
 * are handed over as they arrive and handled concurrently, and a message that
 * is never acknowledged stays with the broker, which sends it again when the
 * session resumes (`cleanSession: false`).
 *
 * mqtt.js has no public manual-ack API: its `customHandleAcks` and
 * `handleMessage` hooks hold its packet loop until the acknowledgement is
 * sent, which would handle one message at a time and deadlock a handler that
 * publishes (the PUBACK of its own publish waits behind the held message).
 * So `handleMessage` — the documented override point — answers at once with
 * an error value, which makes mqtt.js skip its acknowledgement and go on with
 * the next packet, and the acknowledgement is sent later through the client's
 * packet writer. The broker's in-flight window (`max_inflight_messages`) bounds
 * how many unacknowledged messages one connection holds.
 */
export function deferAcknowledgements(client: MqttClient, onMessage: (delivery: MqttDelivery) => void): void {
  const internals = client as unknown as MqttClientInternals;
  if (typeof internals._sendPacket !== 'function') {
    throw new Error('this mqtt.js version has no packet writer (_sendPacket); install mqtt@5');
  }
  // A late acknowledgement must not go out on a newer connection: the broker resends the message there anyway.
  let connection = 0;
  client.on('close', () => connection++);
  client.handleMessage = (packet, callback) => {
    if (!packet.qos) {
      onMessage({ packet, ack: () => undefined });
      callback();
      return;
    }
    const on = connection;
    let acked = false;
    onMessage({
      packet,
      ack: () => {
        if (acked || on !== connection || !client.connected) return;
        acked = true;
        if (packet.qos === 1) {
          internals._sendPacket({ cmd: 'puback', messageId: packet.messageId });
        } else {
          internals.incomingStore.del(packet, () => internals._sendPacket({ cmd: 'pubcomp', messageId: packet.messageId }));
        }
      },
    });
    callback(DEFERRED);
  };
}
