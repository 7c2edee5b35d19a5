import { SubscriptionSet } from '../../spi/kit/subscription-set';
import { Logger } from '@nestjs/common';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  PubSubDriver,
  PubSubFeature,
  PubSubHandler,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import { MetadataReader } from '../../spi/kit/metadata-reader';
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
export class RedisPubSub implements PubSubDriver {
  private client!: RedisClient;
  private md!: ComponentMetadata;
  private settings!: RedisPubSubSettings;
  private logger!: Logger;
  private readonly subscriptions = new SubscriptionSet();
  private closed = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    this.logger = new Logger(`pubsub.redis/${md.name}`);
    this.settings = parseSettings(md);
    this.client = await connectRedis(md.type, this.settings.connection);
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async publish(req: PublishRequest): Promise<void> {
    if (this.closed) throw new Error(`pubsub "${this.md.name}" is closed`);
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
    if (this.closed) throw new Error(`pubsub "${this.md.name}" is closed`);
    const r = new MetadataReader(this.md.name, this.md.properties, req.metadata);
    const consumerID = r.string('consumerID') ?? this.md.appId;
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
      queueDepth: r.int('queueDepth', this.settings.queueDepth, 1),
      concurrency: r.int('concurrency', this.settings.concurrency, 1),
      processingTimeoutMs: r.durationMs('processingTimeout', this.settings.processingTimeoutMs),
      redeliverIntervalMs: r.durationMs('redeliverInterval', this.settings.redeliverIntervalMs),
      blockMs: this.settings.blockMs,
      handler,
      logger: this.logger,
    });
    return this.subscriptions.start(sub);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.stopAll();
    await closeRedis(this.client);
  }
}

function parseSettings(md: ComponentMetadata): RedisPubSubSettings {
  const r = new MetadataReader(md.name, md.properties);
  const maxLenApprox = r.int('maxLenApprox', 0, 0);
  const streamTTLMs = r.durationMs('streamTTL', 0);
  if (maxLenApprox > 0 && streamTTLMs > 0) throw r.error('streamTTL', 'cannot be combined with maxLenApprox');
  return {
    connection: parseRedisSettings(md),
    maxLenApprox,
    streamTTLMs,
    queueDepth: r.int('queueDepth', 100, 1),
    concurrency: r.int('concurrency', 10, 1),
    processingTimeoutMs: r.durationMs('processingTimeout', 60_000),
    redeliverIntervalMs: r.durationMs('redeliverInterval', 15_000),
    blockMs: Math.max(100, r.durationMs('readTimeout', 2_000)),
  };
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
