import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  PubSubFeature,
  PubSubHandler,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { REDIS_PUBSUB_METADATA } from './redis.metadata';
import { closeRedis, connectRedis, parseRedisSettings, type RedisClient, type RedisSettings } from './redis-connection';
import { RedisStreamSubscription } from './redis-stream.subscription';

interface RedisPubSubSettings {
  connection: RedisSettings;
  maxLenApprox: number;
  streamTTLMs: number;
  queueDepth: number;
  concurrency: number;
  processingTimeoutMs: number;
  redeliverIntervalMs: number;
  blockMs: number;
}

/**
 * `pubsub.redis` on Redis Streams, in Dapr's exact format so a Dapr sidecar
 * and this library can publish to and consume from the same streams:
 * `XADD <topic> [MAXLEN ~ n | MINID ~ t] * data <bytes> metadata <json>`,
 * consumer group and consumer name = `consumerID` (the app id by default).
 * Metadata and defaults as `cc:pubsub/redis` (queueDepth 100, concurrency 10,
 * processingTimeout 60 s, redeliverInterval 15 s; bare numbers are ms).
 */
export class RedisPubSub extends BrokerPubSub<RedisPubSubSettings> {
  private client!: RedisClient;

  protected decodeSettings(md: ComponentMetadata): RedisPubSubSettings {
    return parseSettings(md);
  }

  protected async connect(): Promise<void> {
    this.client = await connectRedis(this.md.type, this.settings.connection);
  }

  protected async disconnect(): Promise<void> {
    await closeRedis(this.client);
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    const args: (string | number | Buffer)[] = [req.topic];
    if (this.settings.maxLenApprox > 0) args.push('MAXLEN', '~', this.settings.maxLenApprox);
    else if (this.settings.streamTTLMs > 0) args.push('MINID', '~', `${Date.now() - this.settings.streamTTLMs}-1`);
    args.push('*', 'data', toBuffer(req.data), 'metadata', JSON.stringify(req.metadata ?? {}));
    try {
      await this.client.call('XADD', ...args);
    } catch (err) {
      throw new Error(`pubsub "${this.md.name}": publish to "${req.topic}" failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    // Subscription metadata is decoded over the component's, the subscription's winning.
    const m = decodeMetadata(REDIS_PUBSUB_METADATA, this.md, { overrides: [req.metadata] });
    const consumerID = m.consumerID || this.md.appId;
    // XREADGROUP BLOCK holds its connection, so each subscription reads on its own one.
    const reader = await connectRedis(this.md.type, {
      ...this.settings.connection,
      connectionName: `${this.settings.connection.connectionName}.reader.${req.topic}`.replace(/[^A-Za-z0-9._:-]/g, '_'),
    });
    const sub = new RedisStreamSubscription({
      client: this.client,
      reader,
      topic: req.topic,
      group: consumerID,
      consumer: consumerID,
      queueDepth: m.queueDepth,
      concurrency: m.concurrency,
      processingTimeoutMs: m.processingTimeout,
      redeliverIntervalMs: m.redeliverInterval,
      blockMs: this.settings.blockMs,
      handler,
      logger: this.logger,
    });
    return this.subscriptions.start(sub);
  }
}

function parseSettings(md: ComponentMetadata): RedisPubSubSettings {
  const m = decodeMetadata(REDIS_PUBSUB_METADATA, md);
  if (m.maxLenApprox > 0 && m.streamTTL > 0) throw metadataError(md, 'streamTTL', 'cannot be combined with maxLenApprox');
  return {
    connection: parseRedisSettings(md),
    maxLenApprox: m.maxLenApprox,
    streamTTLMs: m.streamTTL,
    queueDepth: m.queueDepth,
    concurrency: m.concurrency,
    processingTimeoutMs: m.processingTimeout,
    redeliverIntervalMs: m.redeliverInterval,
    blockMs: Math.max(100, m.readTimeout),
  };
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
