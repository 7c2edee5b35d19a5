import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { BindingRequestError } from '../../errors/bindings.errors';
import { loadPackage } from '../../spi/kit/load-package';
import type { InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { parseRedisSettings } from './redis-connection';
import { REDIS_BINDING_METADATA } from './redis.metadata';

type IoRedis = typeof import('ioredis');

const OPERATIONS = ['create', 'get', 'delete', 'increment'] as const;

/**
 * `bindings.redis` (components-contrib `bindings/redis`): request metadata
 * `key` names the Redis key. `create` = SET (raw request bytes; `ttlInSeconds`
 * → EX), `get` = GET (`delete: "true"` → GETDEL; a missing key answers with no
 * data), `delete` = DEL, `increment` = INCR (+ EXPIRE with `ttlInSeconds`;
 * the new value comes back as data). Connection metadata as Dapr's Redis
 * components: `redisHost`, `redisUsername`, `redisPassword`, `redisDB`, `enableTLS`.
 */
export class RedisBinding implements OutputBindingDriver {
  private name = '';
  private client?: RedisClient;
  private connected = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    decodeMetadata(REDIS_BINDING_METADATA, md);
    const s = parseRedisSettings(md);
    const options: RedisOptions = {
      host: s.hosts[0].host,
      port: s.hosts[0].port,
      username: s.username,
      password: s.password,
      db: s.db,
      tls: s.tls ? { ...s.tlsOptions } : undefined,
      lazyConnect: true,
      maxRetriesPerRequest: Math.max(0, s.maxRetries),
      connectTimeout: s.dialTimeoutMs,
      enableOfflineQueue: true,
      // Fail init fast on a bad address; once connected, keep reconnecting through outages.
      retryStrategy: (times) => (this.connected ? Math.min(times * 100, 2_000) : null),
    };
    const { Redis } = await loadPackage<IoRedis>(md.type, 'ioredis');
    const client = new Redis(options);
    // Errors surface on the calls that hit them; the event would only be noise (and may name the host).
    client.on('error', () => undefined);
    this.client = client;
    await client.connect();
    await client.ping();
    this.connected = true;
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async ping(): Promise<void> {
    await this.redis().ping();
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const op = req.operation.toLowerCase();
    const key = req.metadata.key;
    if (!key) throw new BindingRequestError(this.name, req.operation, 'required metadata "key" is missing');
    const ttl = this.ttl(req);
    const redis = this.redis();
    switch (op) {
      case 'create': {
        const value = Buffer.from(req.data ?? new Uint8Array(0));
        if (ttl !== undefined) await redis.set(key, value, 'EX', ttl);
        else await redis.set(key, value);
        return {};
      }
      case 'get': {
        const value = req.metadata.delete === 'true' ? await redis.getdelBuffer(key) : await redis.getBuffer(key);
        return value === null ? {} : { data: value };
      }
      case 'delete':
        await redis.del(key);
        return {};
      case 'increment': {
        const n = await redis.incr(key);
        if (ttl !== undefined) await redis.expire(key, ttl);
        return { data: Buffer.from(String(n)), contentType: 'application/json' };
      }
      default:
        throw new BindingRequestError(this.name, req.operation, `unsupported operation; supported: ${OPERATIONS.join(', ')}`);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // QUIT only on a live connection; otherwise stop ioredis' reconnect loop outright.
    if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
    else c.disconnect();
  }

  private ttl(req: InvokeRequest): number | undefined {
    const raw = req.metadata.ttlInSeconds;
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) {
      throw new BindingRequestError(this.name, req.operation, `metadata "ttlInSeconds" must be a positive integer, got "${raw}"`);
    }
    return n;
  }

  private redis(): RedisClient {
    if (!this.client) throw new Error(`binding "${this.name}" is closed`);
    return this.client;
  }
}
