import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LockService } from 'nest-dapr';
import { describeLockConformance, startLockApp } from './lock-conformance';

const redisHost = process.env.REDIS_HOST ?? '127.0.0.1:6379';
const [host, port] = redisHost.split(':');

describeLockConformance('lock.redis', () => ({ name: 'lockstore', type: 'lock.redis', metadata: { redisHost } }), {
  extra: ({ lock, appId, resource }) => {
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis({ host, port: Number(port) });
    });
    afterAll(() => redis.quit());

    it("stores Dapr's layout: a string key lock||<appId>||<resourceId> holding the owner, with the expiry as TTL", async () => {
      const r = resource();
      await lock().lock('lockstore', r, 'owner-x', 30);
      const key = `lock||${appId}||${r}`;
      expect(await redis.type(key)).toBe('string');
      expect(await redis.get(key)).toBe('owner-x');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });

    it('contends with a Dapr app on the same key: a lock Dapr took (SET NX) refuses ours, and only Dapr\'s owner releases it', async () => {
      const r = resource();
      const key = `lock||${appId}||${r}`;
      // What daprd's lock.redis does for TryLock: SET key owner NX EX expiry.
      expect(await redis.set(key, 'dapr-owner', 'EX', 30, 'NX')).toBe('OK');
      await expect(lock().lock('lockstore', r, 'ours', 30)).resolves.toEqual({ success: false });
      await expect(lock().unlock('lockstore', r, 'ours')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      await expect(lock().unlock('lockstore', r, 'dapr-owner')).resolves.toEqual({ status: 'SUCCESS' });
      expect(await redis.exists(key)).toBe(0);
      // And the other way round: our lock makes Dapr's SET NX fail.
      await lock().lock('lockstore', r, 'ours', 30);
      expect(await redis.set(key, 'dapr-owner', 'EX', 30, 'NX')).toBeNull();
    });
  },
});

describe('lock.redis key prefixes (Dapr keyPrefix strategies)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis({ host, port: Number(port) });
  });
  afterAll(() => redis.quit());

  it.each([
    ['name', (store: string, r: string) => `lock||${store}||${r}`],
    ['none', (_store: string, r: string) => `lock||${r}`],
    ['MyTeam', (_store: string, r: string) => `lock||myteam||${r}`],
  ])('keyPrefix %s', async (keyPrefix, keyOf) => {
    const store = `locks${randomUUID().slice(0, 6)}`;
    const app = await startLockApp(`kp-${randomUUID().slice(0, 6)}`, [{ name: store, type: 'lock.redis', metadata: { redisHost, keyPrefix } }]);
    try {
      const r = `res-${randomUUID()}`;
      await expect(app.get(LockService).lock(store, r, 'o1', 10)).resolves.toEqual({ success: true });
      expect(await redis.get(keyOf(store, r))).toBe('o1');
      await expect(app.get(LockService).unlock(store, r, 'o1')).resolves.toEqual({ status: 'SUCCESS' });
      expect(await redis.exists(keyOf(store, r))).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('refuses Redis Cluster at start-up, as Dapr does', async () => {
    await expect(startLockApp('cl', [{ name: 'l', type: 'lock.redis', metadata: { redisHost, redisType: 'cluster' } }])).rejects.toThrow(/does not support connecting to Redis Cluster/);
  });
});
