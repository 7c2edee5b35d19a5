import type { Logger } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import type { DriverSubscription } from '../../spi/kit/subscription-set';
import type { PubSubHandler, PubSubMessage } from '../../spi/pubsub.spi';
import { withinMqttWait } from './mqtt-connection';
import type { MqttDelivery } from './mqtt-deferred-acks';
import { MqttTopicFilter } from './mqtt-topic-filter';

export interface MqttSubscriptionOptions {
  client: MqttClient;
  /** The topic filter, possibly with wildcards or a `$share/<group>/` prefix. */
  topic: string;
  qos: 0 | 1 | 2;
  /** Send UNSUBSCRIBE at stop (clean sessions, or `unsubscribeOnClose`). */
  unsubscribeOnStop: boolean;
  handler: PubSubHandler;
  logger: Logger;
  /** The connection's routing table; the subscription is in it while it runs. */
  routes: Set<MqttSubscription>;
  /** Called once the subscription is in the routing table (hands it messages that waited for it). */
  onRouted?: (sub: MqttSubscription) => void;
}

/**
 * One topic filter on the component's connection. Messages reach it through
 * the connection's router (`routeFor`); each is handed to the block at once
 * (handlers run concurrently, as with Dapr's `SetOrderMatters(false)`) and
 * acknowledged when the block settles it as SUCCESS or DROP.
 */
export class MqttSubscription implements DriverSubscription {
  readonly filter: MqttTopicFilter;
  private running = false;

  constructor(private readonly o: MqttSubscriptionOptions) {
    this.filter = new MqttTopicFilter(o.topic);
  }

  async start(): Promise<void> {
    // Routed before SUBSCRIBE: the broker may send queued session messages before the SUBACK.
    this.o.routes.add(this);
    this.running = true;
    this.o.onRouted?.(this);
    const granted = await withinMqttWait(`subscribe to ${this.o.topic}`, this.o.client.subscribeAsync(this.o.topic, { qos: this.o.qos }));
    const refused = granted.find((g) => g.qos === 128);
    if (refused) throw new Error(`the MQTT broker refused the subscription to ${this.o.topic}`);
    this.o.logger.log(`subscribed to topic ${this.o.topic} (qos: ${this.o.qos})`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.o.routes.delete(this);
    // Otherwise the broker keeps the subscription and queues its messages for the next session.
    if (!this.o.unsubscribeOnStop || !this.o.client.connected) return;
    try {
      await withinMqttWait(`unsubscribe from ${this.o.topic}`, this.o.client.unsubscribeAsync(this.o.topic));
    } catch (err) {
      this.o.logger.warn(`failed to unsubscribe from topic ${this.o.topic}: ${(err as Error).message}`);
    }
  }

  deliver(d: MqttDelivery): void {
    const { packet } = d;
    const msg: PubSubMessage = {
      topic: packet.topic,
      data: packet.payload as Buffer,
      metadata: { retained: String(!!packet.retain) },
      id: `${packet.topic}#${packet.messageId ?? 0}`,
    };
    this.o.handler(msg).then(
      (outcome) => {
        if (outcome !== 'RETRY') d.ack();
      },
      // A rejected handler counts as RETRY: left unacknowledged.
      (err: unknown) => this.o.logger.error(`failed processing MQTT message ${msg.id}: ${(err as Error)?.message ?? err}`),
    );
  }
}
