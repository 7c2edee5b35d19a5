import type { MqttClient } from 'mqtt';
import { PubSubMetadataError } from '../../errors/pubsub.errors';
import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  PubSubFeature,
  PubSubHandler,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { parseGoBool } from '../../spi/kit/metadata/go-values';
import { MQTT3_PUBSUB_METADATA, MQTT3_SUBSCRIBE_METADATA } from './mqtt.metadata';
import { closeMqtt, openMqtt, parseMqttConnection, withinMqttWait, type MqttConnectionSettings } from './mqtt-connection';
import { deferAcknowledgements, type MqttDelivery } from './mqtt-deferred-acks';
import { MqttSubscription } from './mqtt.subscription';
import { routeFor } from './mqtt-topic-filter';

interface MqttPubSubSettings {
  connection: MqttConnectionSettings;
  clientId: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

const FEATURES: readonly PubSubFeature[] = ['SUBSCRIBE_WILDCARDS'];

/**
 * `pubsub.mqtt3`, as components-contrib's: one MQTT 3.1.1 connection whose
 * client id is `consumerID` (the app id by default) carries the publishes
 * and every subscription; each subscription is made with the component's
 * `qos`, and each publish with `qos` and `retain` (request metadata `retain`
 * overrides it). The PUBLISH payload is the CloudEvent, byte for byte.
 *
 * A message is acknowledged once the block settled it (SUCCESS or DROP). One
 * given back as RETRY — the block's inbound retries ran out and there is no
 * dead-letter topic — is not acknowledged: the broker keeps it and sends it
 * again when the session resumes (a reconnect or restart with
 * `cleanSession: false`), as Dapr leaves it. Messages on a topic no
 * subscription routes are not acknowledged either: they wait for a
 * subscription that routes them (a resumed session's messages arrive before
 * the app subscribed), and otherwise for the next session.
 */
export class MqttPubSub extends BrokerPubSub<MqttPubSubSettings> {
  private client!: MqttClient;
  private readonly routes = new Set<MqttSubscription>();
  /**
   * Messages that arrived before a subscription routes them — typically what
   * the broker kept for a resumed session, sent right after CONNACK, before
   * the app subscribed. Unacknowledged until a subscription takes them.
   */
  private parked: MqttDelivery[] = [];

  protected decodeSettings(md: ComponentMetadata): MqttPubSubSettings {
    const m = decodeMetadata(MQTT3_PUBSUB_METADATA, md);
    return {
      connection: parseMqttConnection(md, m),
      // The runtime defaults consumerID to the app id ({uuid} and friends already expanded).
      clientId: m.consumerID || md.appId,
      qos: m.qos as 0 | 1 | 2,
      retain: m.retain,
    };
  }

  protected async connect(): Promise<void> {
    await openMqtt(this.md.type, this.settings.connection, this.settings.clientId, this.logger, (client) => {
      // Kept before it connects, so a close during start-up (the init timeout) ends its reconnect loop.
      this.client = client;
      deferAcknowledgements(client, (d) => this.dispatch(d));
    });
    // The broker sends a parked message again on the next connection; its acknowledgement here would be dropped.
    this.client.on('close', () => (this.parked = []));
  }

  protected async disconnect(): Promise<void> {
    this.routes.clear();
    this.parked = [];
    await closeMqtt(this.client);
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    if (!this.client.connected) throw new Error(`pubsub "${this.md.name}": not connected to the MQTT broker`);
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    if (!req.topic) throw new PubSubMetadataError(`pubsub "${this.md.name}": topic name is empty`);
    const retain = retainOf(req.metadata?.retain, this.settings.retain);
    const payload = Buffer.isBuffer(req.data) ? req.data : Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    try {
      await withinMqttWait('publish', this.client.publishAsync(req.topic, payload, { qos: this.settings.qos, retain }));
    } catch (err) {
      throw new Error(`pubsub "${this.md.name}": publish to "${req.topic}" failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    const m = decodeMetadata(MQTT3_SUBSCRIBE_METADATA, { name: this.md.name, properties: req.metadata ?? {}, source: this.md.source });
    const sub = new MqttSubscription({
      client: this.client,
      topic: req.topic,
      qos: this.settings.qos,
      // Dapr keeps the subscription with the broker (and its queued messages) unless asked or the session is clean.
      unsubscribeOnStop: this.settings.connection.clean || m.unsubscribeOnClose,
      handler,
      logger: this.logger,
      routes: this.routes,
      onRouted: (s) => this.unpark(s),
    });
    return this.subscriptions.start(sub);
  }

  /** Hands a message to the subscription whose filter routes its topic. */
  private dispatch(d: MqttDelivery): void {
    const route = routeFor(this.routes, d.packet.topic);
    if (route) route.deliver(d);
    // Not acknowledged, as Dapr leaves it: the broker keeps it for the session.
    else if (d.packet.qos > 0) this.parked.push(d);
  }

  /** Hands a new subscription the parked messages it routes. */
  private unpark(sub: MqttSubscription): void {
    if (!this.parked.length) return;
    const keep: MqttDelivery[] = [];
    for (const d of this.parked) {
      if (routeFor(this.routes, d.packet.topic) === sub) sub.deliver(d);
      else keep.push(d);
    }
    this.parked = keep;
  }
}

/** Request metadata `retain` as strconv.ParseBool reads it; anything else is refused (Dapr: a terminal error). */
function retainOf(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const parsed = parseGoBool(value);
  if (parsed === undefined) throw new PubSubMetadataError(`mqtt invalid retain ${value}: not a boolean`);
  return parsed;
}
