import { Logger } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import { BindingRequestError } from '../../errors/bindings.errors';
import type { InputBindingDriver, InputBindingHandler, InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { loadPackage } from '../../spi/kit/load-package';
import { decodeMetadata } from '../../spi/kit/metadata';
import { withTimeout } from '../../spi/kit/timeout';
import { MQTT3_BINDING_METADATA } from './mqtt.metadata';
import { closeMqtt, openMqtt, parseMqttConnection, withinMqttWait, type MqttConnectionSettings } from './mqtt-connection';
import { deferAcknowledgements, type MqttDelivery } from './mqtt-deferred-acks';

const OPERATIONS = ['create'] as const;
/** The binding waits 10 s for a publish (its `defaultWait`), and retries one 3 times, 200 ms apart. */
const PUBLISH_WAIT_MS = 10_000;
const PUBLISH_RETRIES = 3;
const PUBLISH_RETRY_MS = 200;
/** Constant back-off between the retries of a failed input event. */
const READ_RETRY_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `bindings.mqtt3`, as components-contrib's. A broker allows one connection
 * per client id, so the binding opens two: the input subscribes to `topic`
 * (QoS 1) as `<consumerID>-consumer` and the output publishes as
 * `<consumerID>-producer` (opened on the first `create`). QoS is always 1;
 * the `qos` field is deprecated and ignored. A failed input event is retried
 * `backOffMaxRetries` times, 5 s apart, and then left unacknowledged for the
 * broker to send again when the session resumes; events carry metadata `topic`.
 */
export class MqttBinding implements InputBindingDriver, OutputBindingDriver {
  private md!: ComponentMetadata;
  private logger!: Logger;
  private connection!: MqttConnectionSettings;
  private topic = '';
  private clientId = '';
  private retain = false;
  private backOffMaxRetries = 0;
  private producer?: Promise<MqttClient>;
  /** The connections as soon as they exist, so close ends one that is still connecting. */
  private readonly clients = new Set<MqttClient>();
  private consumer?: MqttClient;
  private closed = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    this.logger = new Logger(`${md.type}/${md.name}`);
    const m = decodeMetadata(MQTT3_BINDING_METADATA, md);
    this.connection = parseMqttConnection(md, m);
    this.topic = m.topic;
    this.clientId = m.consumerID;
    this.retain = m.retain;
    this.backOffMaxRetries = m.backOffMaxRetries;
    if (m.qos) this.logger.warn("Metadata property 'qos' has been deprecated and is ignored; qos is set to 1");
    // Connections open on first use, as in Dapr; a missing mqtt package still fails start-up.
    await loadPackage(md.type, 'mqtt');
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    if (req.operation !== 'create') {
      throw new BindingRequestError(this.md.name, req.operation, `unsupported operation; supported: ${OPERATIONS.join(', ')}`);
    }
    if (this.closed) throw new Error(`binding "${this.md.name}" is closed`);
    const producer = await this.producerClient();
    const topic = req.metadata?.topic || this.topic;
    const payload = req.data ? Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength) : Buffer.alloc(0);
    for (let attempt = 0; ; attempt++) {
      try {
        await withTimeout(producer.publishAsync(topic, payload, { qos: 1, retain: this.retain }), PUBLISH_WAIT_MS, () => new Error('mqtt client timeout'));
        return {};
      } catch (err) {
        if (attempt >= PUBLISH_RETRIES) throw new Error(`binding "${this.md.name}": failed to publish: ${(err as Error).message}`, { cause: err });
        await sleep(PUBLISH_RETRY_MS);
      }
    }
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new Error(`binding "${this.md.name}" is closed`);
    if (this.consumer) throw new Error(`binding "${this.md.name}": the subscription is already active`);
    this.logger.log(`subscribing to topic ${this.topic} (qos: 1)`);
    const client = await openMqtt(this.md.type, this.connection, `${this.clientId}-consumer`, this.logger, (c) => {
      this.clients.add(c);
      deferAcknowledgements(c, (d) => void this.handle(d, handler));
    });
    this.consumer = client;
    try {
      await withinMqttWait(`subscribe to ${this.topic}`, client.subscribeAsync(this.topic, { qos: 1 }));
    } catch (err) {
      this.consumer = undefined;
      await closeMqtt(client);
      throw err;
    }
    // Stopping disconnects without UNSUBSCRIBE, so the broker keeps the session's place.
    return async () => {
      if (this.consumer === client) this.consumer = undefined;
      this.clients.delete(client);
      await closeMqtt(client);
    };
  }

  private async handle(d: MqttDelivery, handler: InputBindingHandler): Promise<void> {
    const { packet } = d;
    for (let attempt = 0; ; attempt++) {
      try {
        await handler({ data: packet.payload as Buffer, metadata: { topic: packet.topic } });
        d.ack();
        return;
      } catch (err) {
        const more = this.backOffMaxRetries < 0 || attempt < this.backOffMaxRetries;
        if (!more || this.closed || this.consumer === undefined) {
          this.logger.error(`failed processing MQTT message ${packet.topic}/${packet.messageId}: ${(err as Error)?.message ?? err}`);
          return;
        }
        this.logger.error(`error processing MQTT message ${packet.topic}/${packet.messageId}; retrying`);
        await sleep(READ_RETRY_MS);
      }
    }
  }

  private producerClient(): Promise<MqttClient> {
    if (!this.producer) {
      this.producer = openMqtt(this.md.type, this.connection, `${this.clientId}-producer`, this.logger, (c) => this.clients.add(c));
      // A failed connect is tried again on the next create.
      this.producer.catch(() => (this.producer = undefined));
    }
    return this.producer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.consumer = undefined;
    this.producer = undefined;
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.allSettled(clients.map(closeMqtt));
  }
}
