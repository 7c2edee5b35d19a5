import { ComponentInitError } from '../../errors/component-init.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { LockStoreDriver, TryLockRequest, UnlockRequest, UnlockStatus } from '../../spi/lock.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { closeRedis, connectRedis, parseRedisSettings, type RedisClient } from './redis-connection';
import { REDIS_LOCK_METADATA } from './redis.metadata';

const TYPE = 'lock.redis';

/**
 * Owner-checked release, with the answers of Dapr's unlock script (components-contrib
 * `lock/redis`): -1 no such key, -2 another owner's key, else the DEL count.
 */
const UNLOCK_SCRIPT = `
local owner = redis.call("GET", KEYS[1])
if owner == false then return -1 end
if owner ~= ARGV[1] then return -2 end
return redis.call("DEL", KEYS[1])`;

interface ScriptCommands {
  daprLockRelease(key: string, owner: string): Promise<number>;
}

/**
 * `lock.redis` as Dapr's standalone Redis lock: the lock is a plain string key
 * holding the owner, set with `SET NX EX` (what go-redis sends for Dapr's
 * whole-second SetNX) so it frees itself at expiry, and released only by its
 * owner. A Dapr app on the same Redis and the same key prefix contends on the
 * same keys. Like Dapr it refuses Redis Cluster, and a master with replicas
 * unless `failover` (Sentinel) is on, since a fail-over could lose a held lock.
 */
export class RedisLockStore implements LockStoreDriver {
  private client?: RedisClient;

  async init(md: ComponentMetadata): Promise<void> {
    decodeMetadata(REDIS_LOCK_METADATA, md);
    const settings = parseRedisSettings(md);
    if (settings.type === 'cluster') throw metadataError(md, 'redisType', 'cluster is not supported: this component does not support connecting to Redis Cluster');
    const client = await connectRedis(TYPE, settings);
    this.client = client;
    client.defineCommand('daprLockRelease', { numberOfKeys: 1, lua: UNLOCK_SCRIPT });
    if (!settings.failover && (await connectedReplicas(client)) > 0) {
      throw new ComponentInitError(md.name, TYPE, 'replication is not supported (a lock held on the master could be lost in a fail-over; use failover with Sentinel)');
    }
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.redis().ping();
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await closeRedis(c);
  }

  async tryLock(req: TryLockRequest): Promise<{ success: boolean }> {
    const reply = await this.redis().set(req.resourceId, req.lockOwner, 'EX', req.expiryInSeconds, 'NX');
    return { success: reply === 'OK' };
  }

  async unlock(req: UnlockRequest): Promise<{ status: UnlockStatus }> {
    const n = Number(await (this.redis() as unknown as ScriptCommands).daprLockRelease(req.resourceId, req.lockOwner));
    if (n >= 0) return { status: 'SUCCESS' };
    if (n === -1) return { status: 'LOCK_DOES_NOT_EXIST' };
    if (n === -2) return { status: 'LOCK_BELONGS_TO_OTHERS' };
    return { status: 'INTERNAL_ERROR' };
  }

  private redis(): RedisClient {
    if (!this.client) throw new Error(`${TYPE} is not initialised or already closed`);
    return this.client;
  }
}

/** `connected_slaves` of INFO replication; 0 when the server does not answer it (as Dapr passes then). */
async function connectedReplicas(client: RedisClient): Promise<number> {
  try {
    const m = /connected_slaves:(\d+)/.exec(await client.info('replication'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
