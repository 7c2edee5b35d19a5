import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { MissingMetadataError } from '../../errors/component-config.error';
import { BindingRequestError } from '../../errors/bindings.errors';
import { loadPackage } from '../../spi/kit/load-package';
import type { InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { MetadataReader } from '../../spi/kit/metadata-reader';

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
    const r = new MetadataReader(md.name, md.properties);
    const host = r.string('redisHost');
    if (!host) throw new MissingMetadataError(md.name, 'redisHost');
    const [hostname, port] = splitHostPort(host, r);
    const options: RedisOptions = {
      host: hostname,
      port,
      username: r.string('redisUsername'),
      password: r.string('redisPassword'),
      db: r.int('redisDB', 0, 0),
      tls: r.bool('enableTLS', false) ? {} : undefined,
      lazyConnect: true,
      maxRetriesPerRequest: r.int('redisMaxRetries', 3, 0),
      connectTimeout: r.durationMs('dialTimeout', 5_000),
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

function splitHostPort(host: string, r: MetadataReader): [string, number] {
  const i = host.lastIndexOf(':');
  if (i < 0) return [host, 6379];
  const port = Number(host.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw r.error('redisHost', `"${host}" is not host:port`);
  return [host.slice(0, i).replace(/^\[|\]$/g, ''), port];
}
