import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { once } from 'node:events';
import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { PubSubFeature, PubSubHandler, PublishRequest, SubscribeRequest, SubscriptionHandle } from '../../spi/pubsub.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { RABBITMQ_PUBSUB_METADATA, RABBITMQ_SUBSCRIBE_METADATA } from './rabbitmq.metadata';
import { pemField, pubsubConnectionUri, RabbitConnection, type RabbitConnectionSettings } from './rabbitmq-connection';
import { applyMessageProperties, propertiesToMetadata, requestPriority, requestTtlMs } from './rabbitmq-message';
import { declareSubscription, type RabbitQueueOptions, type RabbitTopologySettings } from './rabbitmq-topology';
import { RabbitQueueConsumer } from './rabbitmq-queue.consumer';

interface RabbitPubSubSettings {
  connection: RabbitConnectionSettings;
  topology: RabbitTopologySettings;
  deliveryMode: number;
  prefetchCount: number;
  autoAck: boolean;
  requeueInFailure: boolean;
  requeueDelayMs: number;
  publisherConfirm: boolean;
  concurrency: 'single' | 'parallel';
  defaultTtlMs?: number;
  propertiesToMetadata: boolean;
}

const FEATURES: readonly PubSubFeature[] = ['MESSAGE_TTL'];

/** Dapr's Publish: three attempts, waiting for the connection between them. */
const PUBLISH_ATTEMPTS = 3;

/**
 * `pubsub.rabbitmq` on amqplib, with components-contrib's topology and
 * message format so a Dapr sidecar and this library share exchanges and
 * queues: a publish goes to the exchange named after the topic (declared
 * once per channel, kind `exchangeKind`, durable / auto-delete per
 * metadata) with routing key `routingKey`; the body is the CloudEvent, the
 * properties are Dapr's (`content_type` text/plain unless the request's
 * `contentType`, `delivery_mode` = deliveryMode, `expiration` from
 * ttlInSeconds, `priority`, `message_id`, `correlation_id`, `type`; no
 * headers). Each subscription consumes `<consumerID>-<topic>` (or its `queueName`) with a RabbitQueueConsumer. TTL is the broker's
 * (MESSAGE_TTL), so the CloudEvent carries no `expiration`.
 */
export class RabbitMQPubSub extends BrokerPubSub<RabbitPubSubSettings> {
  private conn!: RabbitConnection;
  private publisher?: Channel | ConfirmChannel;
  private opening?: Promise<Channel | ConfirmChannel>;
  /** Exchanges declared on the current publisher channel (Dapr's `declaredExchanges`). */
  private exchanges = new Map<string, Promise<unknown>>();

  protected decodeSettings(md: ComponentMetadata): RabbitPubSubSettings {
    return parseSettings(md);
  }

  protected async connect(): Promise<void> {
    this.conn = await RabbitConnection.open(this.md.type, this.settings.connection, this.logger);
  }

  protected async disconnect(): Promise<void> {
    const ch = this.publisher;
    this.publisher = undefined;
    await ch?.close().catch(() => undefined);
    await this.conn?.close().catch(() => undefined);
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    if (!this.conn.isUp) throw new Error(`pubsub "${this.md.name}": not connected to RabbitMQ`);
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publishOnce(req);
        return;
      } catch (err) {
        // Only a lost connection or channel is worth waiting for; the broker's refusals are final.
        if (attempt >= PUBLISH_ATTEMPTS || !isConnectionProblem(err)) {
          throw new Error(`pubsub "${this.md.name}": publish to "${req.topic}" failed: ${(err as Error).message}`, { cause: err });
        }
        this.logger.warn(`publish to "${req.topic}" failed (${(err as Error).message}); attempt ${attempt + 1} of ${PUBLISH_ATTEMPTS} in ${this.settings.connection.reconnectWaitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, this.settings.connection.reconnectWaitMs));
        this.assertOpen();
      }
    }
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    const sub = decodeMetadata(RABBITMQ_SUBSCRIBE_METADATA, { name: this.md.name, properties: req.metadata, source: this.md.source });
    const consumerID = sub.consumerID || this.md.appId;
    const s = this.settings;
    if (sub.queueType === 'quorum' && (!s.topology.durable || s.topology.autoDelete)) {
      throw metadataError(this.md, 'queueType', 'quorum needs durable queues that are not deleted when unused (durable: "true", deletedWhenUnused: "false")');
    }
    const topic = req.topic;
    const queue = sub.queueName || `${consumerID}-${topic}`;
    const queueOptions: RabbitQueueOptions = {
      queueType: sub.queueType,
      maxPriority: sub.maxPriority,
      singleActiveConsumer: sub.singleActiveConsumer,
      maxLen: sub.maxLen,
      maxLenBytes: sub.maxLenBytes,
    };
    const routingKey = sub.routingKey ?? '';
    const withProperties = s.propertiesToMetadata;
    return this.subscriptions.start(
      new RabbitQueueConsumer({
        connection: this.conn,
        queue,
        declare: (ch) => declareSubscription(ch, s.topology, topic, queue, queueOptions, routingKey),
        prefetchCount: s.prefetchCount,
        prefetchGlobal: false,
        autoAck: s.autoAck,
        // Dapr drops a failed message unless requeueInFailure; nest-dapr only lets it go to a dead-letter exchange.
        onRetry: s.topology.enableDeadLetter && !s.requeueInFailure ? 'dead-letter' : 'requeue',
        requeueDelayMs: s.requeueDelayMs,
        concurrency: s.concurrency,
        toMessage: (msg) => ({
          topic,
          data: msg.content,
          metadata: withProperties ? propertiesToMetadata(msg) : {},
          id: msg.properties.messageId ? String(msg.properties.messageId) : `${queue}#${msg.fields.deliveryTag}`,
        }),
        reconnectWaitMs: s.connection.reconnectWaitMs,
        handler,
        logger: this.logger,
      }),
    );
  }

  private async publishOnce(req: PublishRequest): Promise<void> {
    const ch = this.publisher ?? (await this.openPublisher());
    let declared = this.exchanges.get(req.topic);
    if (!declared) {
      const t = this.settings.topology;
      declared = ch.assertExchange(req.topic, t.exchangeKind, { durable: t.durable, autoDelete: t.autoDelete });
      declared.catch(() => this.exchanges.delete(req.topic));
      this.exchanges.set(req.topic, declared);
    }
    await declared;
    const body = toBuffer(req.data);
    const props = this.properties(req);
    const routingKey = req.metadata.routingKey || '';
    if (this.settings.publisherConfirm) {
      await new Promise<void>((resolve, reject) => {
        (ch as ConfirmChannel).publish(req.topic, routingKey, body, props, (err: unknown) =>
          err ? reject(err instanceof Error ? err : new Error(`the broker did not confirm the message (${String(err)})`)) : resolve(),
        );
      });
    } else if (!ch.publish(req.topic, routingKey, body, props)) {
      // The socket buffer is full: wait for it to drain, as the raw client would.
      await once(ch, 'drain');
    }
  }

  /** Dapr's `amqp.Publishing` for a request (bad ttl / priority values are logged and ignored, as Dapr). */
  private properties(req: PublishRequest): Options.Publish {
    const props: Options.Publish = { contentType: 'text/plain' };
    if (this.settings.deliveryMode > 0) props.deliveryMode = this.settings.deliveryMode;
    const ttl = requestTtlMs(req.metadata);
    if (typeof ttl === 'object') this.logger.warn(`publishing to "${req.topic}": ${ttl.error}; ignored`);
    const ttlMs = typeof ttl === 'number' ? ttl : this.settings.defaultTtlMs;
    if (ttlMs !== undefined) props.expiration = String(ttlMs);
    const priority = requestPriority(req.metadata);
    if (typeof priority === 'object') this.logger.warn(`publishing to "${req.topic}": ${priority.error}; ignored`);
    else if (priority) props.priority = priority;
    applyMessageProperties(req.metadata, props);
    return props;
  }

  private openPublisher(): Promise<Channel | ConfirmChannel> {
    if (!this.opening) {
      if (!this.conn.isUp) return Promise.reject(new Error('channel/connection is not open'));
      this.opening = (this.settings.publisherConfirm ? this.conn.confirmChannel() : this.conn.channel()).then(
        (ch) => {
          ch.on('error', (err: Error) => this.logger.warn(`publisher channel failed: ${err.message}`));
          ch.on('close', () => {
            if (this.publisher !== ch) return;
            this.publisher = undefined;
            this.exchanges = new Map();
          });
          this.publisher = ch;
          this.exchanges = new Map();
          this.opening = undefined;
          return ch;
        },
        (err: unknown) => {
          this.opening = undefined;
          throw err;
        },
      );
    }
    return this.opening;
  }
}

function parseSettings(md: ComponentMetadata): RabbitPubSubSettings {
  const m = decodeMetadata(RABBITMQ_PUBSUB_METADATA, md);
  const tls = { ca: pemField(md, 'caCert', m.caCert), cert: pemField(md, 'clientCert', m.clientCert), key: pemField(md, 'clientKey', m.clientKey) };
  if (m.saslExternal && !(tls.ca && tls.cert && tls.key)) {
    throw metadataError(md, 'saslExternal', 'can only be true when caCert, clientCert and clientKey are all set');
  }
  if (m.ttlInSeconds !== undefined && m.ttlInSeconds <= 0) throw metadataError(md, 'ttlInSeconds', 'must be higher than zero');
  if (m.reconnectWaitSeconds < 0) throw metadataError(md, 'reconnectWaitSeconds', 'must not be negative');
  return {
    connection: {
      uri: pubsubConnectionUri(md, m),
      heartbeatSec: Math.max(0, Math.round(m.heartBeat / 1000)),
      clientName: m.clientName || undefined,
      tls,
      saslExternal: m.saslExternal,
      reconnectWaitMs: m.reconnectWaitSeconds,
    },
    topology: {
      exchangeKind: m.exchangeKind,
      durable: m.durable,
      autoDelete: m.deletedWhenUnused,
      enableDeadLetter: m.enableDeadLetter,
      maxLen: m.maxLen,
      maxLenBytes: m.maxLenBytes,
    },
    deliveryMode: m.deliveryMode,
    prefetchCount: m.prefetchCount,
    autoAck: m.autoAck,
    requeueInFailure: m.requeueInFailure,
    requeueDelayMs: Math.max(0, m.requeueDelay),
    publisherConfirm: m.publisherConfirm,
    concurrency: m.concurrencyMode,
    defaultTtlMs: m.ttlInSeconds,
    propertiesToMetadata: m.publishMessagePropertiesToMetadata,
  };
}

/** A lost connection or channel (worth a retry), as opposed to a refusal by the broker. */
function isConnectionProblem(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; message?: string };
  if (e?.name === 'IllegalOperationError') return true;
  if (typeof e?.code === 'number') return e.code === 320 || e.code === 501 || e.code === 504;
  return /channel\/connection is not open|channel closed|connection closed|ECONNRESET|EPIPE|socket/i.test(String(e?.message));
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
