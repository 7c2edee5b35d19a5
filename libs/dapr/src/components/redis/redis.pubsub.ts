import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { Logger } from '@nestjs/common';
import { MissingMetadataError } from '../../errors/component-config.error';
import { loadPackage } from '../../runtime/load-package';
import type { ComponentMetadata } from '../spi/component.spi';
import type {
  PubSubDriver,
  PubSubFeature,
  PubSubHandler,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../spi/pubsub.spi';
import { MetadataReader } from '../metadata-reader';
import { RedisStreamSubscription } from './redis-stream.subscription';

type IoRedis = typeof import('ioredis');

interface RedisPubSubSettings {
  options: RedisOptions;
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
  private redis!: IoRedis;
  private client!: RedisClient;
  private md!: ComponentMetadata;
  private settings!: RedisPubSubSettings;
  private logger!: Logger;
  private readonly subscriptions = new Set<RedisStreamSubscription>();
  private closed = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    this.logger = new Logger(`pubsub.redis/${md.name}`);
    this.settings = parseSettings(md);
    this.redis = await loadPackage<IoRedis>(md.type, 'ioredis');
    this.client = this.connection('');
    await this.client.connect();
    await this.client.ping();
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
    // The reader waits out an outage instead of failing reads: the read loop owns retrying.
    const reader = this.connection(`:${req.topic}`, { maxRetriesPerRequest: null });
    await reader.connect();
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
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (err) {
      this.subscriptions.delete(sub);
      await sub.stop();
      throw err;
    }
    return {
      stop: async () => {
        await sub.stop();
        this.subscriptions.delete(sub);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    // QUIT would wait in the offline queue while Redis is unreachable; just drop the socket then.
    if (this.client?.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client?.disconnect();
  }

  private connection(suffix: string, overrides: RedisOptions = {}): RedisClient {
    const client = new this.redis.Redis({
      ...this.settings.options,
      ...overrides,
      connectionName: `${this.settings.options.connectionName}${suffix}`,
    });
    // Failures surface on the commands that hit them; reconnects are automatic.
    client.on('error', () => undefined);
    return client;
  }
}

function parseSettings(md: ComponentMetadata): RedisPubSubSettings {
  const r = new MetadataReader(md.name, md.properties);
  const host = r.string('redisHost');
  if (!host) throw new MissingMetadataError(md.name, 'redisHost');
  const type = r.oneOf('redisType', ['node', 'cluster'] as const, 'node');
  if (type === 'cluster') throw r.error('redisType', '"cluster" is not supported by pubsub.redis yet; use a single node');
  if (r.bool('failover', false)) throw r.error('failover', 'is not supported by pubsub.redis yet');
  const [hostname, port] = splitHostPort(host, r);
  const maxLenApprox = r.int('maxLenApprox', 0, 0);
  const streamTTLMs = r.durationMs('streamTTL', 0);
  if (maxLenApprox > 0 && streamTTLMs > 0) throw r.error('streamTTL', 'cannot be combined with maxLenApprox');
  return {
    options: {
      host: hostname,
      port,
      username: r.string('redisUsername'),
      password: r.string('redisPassword'),
      db: r.int('redisDB', 0, 0),
      tls: r.bool('enableTLS', false) ? { rejectUnauthorized: !r.bool('skipVerify', false) } : undefined,
      // CLIENT LIST shows which app and component a connection belongs to.
      connectionName: r.string('clientName') ?? `dapr-pubsub:${md.appId}:${md.name}`,
      lazyConnect: true,
      connectTimeout: r.durationMs('dialTimeout', 5_000),
      maxRetriesPerRequest: r.int('redisMaxRetries', 20, 0),
      enableOfflineQueue: true,
      retryStrategy: (attempt) => Math.min(50 * attempt, r.durationMs('redisMaxRetryInterval', 2_000)),
    },
    maxLenApprox,
    streamTTLMs,
    queueDepth: r.int('queueDepth', 100, 1),
    concurrency: r.int('concurrency', 10, 1),
    processingTimeoutMs: r.durationMs('processingTimeout', 60_000),
    redeliverIntervalMs: r.durationMs('redeliverInterval', 15_000),
    blockMs: Math.max(100, r.durationMs('readTimeout', 2_000)),
  };
}

function splitHostPort(host: string, r: MetadataReader): [string, number] {
  const i = host.lastIndexOf(':');
  if (i < 0) return [host, 6379];
  const port = Number(host.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0) throw r.error('redisHost', `"${host}" has no valid port`);
  return [host.slice(0, i).replace(/^\[|\]$/g, ''), port];
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
