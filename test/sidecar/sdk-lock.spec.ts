import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import { LockStatus } from '@dapr/dapr/types/lock/UnlockResponse';
import Redis from 'ioredis';
import { NestFactory } from '@nestjs/core';
import { DaprModule, LockService, SidecarApiError } from 'nest-dapr';
import { PROTOCOLS, sdkClient, sdkHttpError, thrown, type Protocol } from './support/sdk';
import { component, startSidecar, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * The official SDK's `client.lock` against `nest-dapr run` on a real Redis
 * lock store and a SQLite one, over HTTP and gRPC: the calls and answers of
 * daprd's lock API (alpha), its statuses and error codes, and Dapr's key layout.
 */
const run = randomBytes(4).toString('hex');
const appId = `sdklock-${run}`;
const GRPC_INVALID_ARGUMENT = 3;

let dir: string;
let sidecar: RunningSidecar;
let redis: Redis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-lock-'));
  writeResources(dir, [
    component('redislock', 'lock.redis', { redisHost: '127.0.0.1:6379' }),
    component('sqlitelock', 'lock.sqlite', { connectionString: join(dir, 'lock.db') }),
  ]);
  sidecar = await startSidecar({ appId, resources: dir });
  redis = new Redis('127.0.0.1:6379');
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  rmSync(dir, { recursive: true, force: true });
  const keys = await redis.keys(`lock||${appId}||*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(PROTOCOLS)('DaprClient over %s: lock', (protocol: Protocol) => {
  let client: DaprClient;
  const resource = () => `${protocol}-${randomUUID()}`;

  beforeAll(() => {
    client = sdkClient(sidecar, protocol);
  });
  afterAll(async () => {
    await client.stop();
  });

  describe.each(['redislock', 'sqlitelock'])('%s', (store) => {
    it('locks once, refuses other owners, unlocks only for the owner', async () => {
      const r = resource();
      expect(await client.lock.lock(store, r, 'owner-a', 30)).toEqual({ success: true });
      expect(await client.lock.lock(store, r, 'owner-b', 30)).toEqual({ success: false });
      expect(await client.lock.unlock(store, r, 'owner-b')).toEqual({ status: LockStatus.LockBelongsToOthers });
      expect(await client.lock.unlock(store, r, 'owner-a')).toEqual({ status: LockStatus.Success });
      expect(await client.lock.unlock(store, r, 'owner-a')).toEqual({ status: LockStatus.LockDoesNotExist });
      expect(await client.lock.lock(store, r, 'owner-b', 30)).toEqual({ success: true });
    });

    it('expiry frees the lock for the next owner', async () => {
      const r = resource();
      expect(await client.lock.lock(store, r, 'owner-a', 1)).toEqual({ success: true });
      await sleep(1300);
      expect(await client.lock.lock(store, r, 'owner-b', 5)).toEqual({ success: true });
      expect(await client.lock.unlock(store, r, 'owner-a')).toEqual({ status: LockStatus.LockBelongsToOthers });
    });

    it("answers daprd's errors for a bad request and an unknown store", async () => {
      const r = resource();
      const cases: [() => Promise<unknown>, string, string][] = [
        [() => client.lock.lock(store, r, 'o', 0), 'ERR_MALFORMED_REQUEST', `ExpiryInSeconds is not positive in lock store ${store}`],
        [() => client.lock.lock(store, '', 'o', 5), 'ERR_MALFORMED_REQUEST', `ResourceId is empty in lock store ${store}`],
        [() => client.lock.unlock(store, r, ''), 'ERR_MALFORMED_REQUEST', `LockOwner is empty in lock store ${store}`],
        [() => client.lock.lock('nope', r, 'o', 5), 'ERR_LOCK_STORE_NOT_FOUND', 'lock store nope not found'],
      ];
      for (const [call, code, message] of cases) {
        const err = await thrown(call);
        if (protocol === 'HTTP') {
          expect(sdkHttpError(err)).toMatchObject({ status: 400, errorCode: code, message: expect.stringContaining(message) });
        } else {
          expect(err).toMatchObject({ code: GRPC_INVALID_ARGUMENT, rawMessage: expect.stringContaining(message) });
        }
      }
    });
  });

  it("keeps Dapr's Redis layout: lock||<appId>||<resourceId> holds the owner, with the expiry as TTL", async () => {
    const r = resource();
    await client.lock.lock('redislock', r, 'owner-x', 20);
    const key = `lock||${appId}||${r}`;
    expect(await redis.get(key)).toBe('owner-x');
    expect(await redis.ttl(key)).toBeGreaterThan(15);
  });
});

describe('lock HTTP wire format', () => {
  const post = async (path: string, body: string) => {
    const res = await fetch(`http://127.0.0.1:${sidecar.http}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers {"success":false} and the unlock status as a number; takes proto field names too', async () => {
    const r = `wire-${randomUUID()}`;
    expect(await post('/v1.0-alpha1/lock/redislock', JSON.stringify({ resource_id: r, lock_owner: 'a', expiry_in_seconds: '10' }))).toEqual({ status: 200, body: { success: true } });
    expect(await post('/v1.0-alpha1/lock/redislock', JSON.stringify({ resourceId: r, lockOwner: 'b', expiryInSeconds: 10 }))).toEqual({ status: 200, body: { success: false } });
    expect(await post('/v1.0-alpha1/unlock/redislock', JSON.stringify({ resourceId: r, lockOwner: 'b' }))).toEqual({ status: 200, body: { status: 2 } });
    expect(await post('/v1.0-alpha1/unlock/redislock', JSON.stringify({ resourceId: r, lockOwner: 'a' }))).toEqual({ status: 200, body: { status: 0 } });
    expect(await post('/v1.0-alpha1/unlock/redislock', JSON.stringify({ resourceId: r, lockOwner: 'a' }))).toEqual({ status: 200, body: { status: 1 } });
  });

  it('a body that is not the request message is 400 ERR_MALFORMED_REQUEST; a resource id with || is 500 ERR_TRY_LOCK', async () => {
    for (const body of ['not json', '[1]', '{"resourceId":5,"lockOwner":"a","expiryInSeconds":5}', '{"resourceId":"r","lockOwner":"a","expiryInSeconds":1.5}']) {
      const res = await post('/v1.0-alpha1/lock/redislock', body);
      expect(res).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST' } });
    }
    expect(await post('/v1.0-alpha1/lock/redislock', '{"resourceId":"a||b","lockOwner":"a","expiryInSeconds":5}')).toMatchObject({
      status: 500,
      body: { errorCode: 'ERR_TRY_LOCK', message: "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'" },
    });
  });
});

describe('sidecar mode: LockService goes to the sidecar', () => {
  it('an app with DaprModule.forRoot({ sidecar }) locks through nest-dapr run, with its statuses and error codes', async () => {
    const ctx = await NestFactory.createApplicationContext(DaprModule.forRoot({ appId, sidecar: { httpEndpoint: `http://127.0.0.1:${sidecar.http}` } }), { logger: ['error'] });
    try {
      const lock = ctx.get(LockService);
      const r = `mode-${randomUUID()}`;
      await expect(lock.lock('redislock', r, 'a', 10)).resolves.toEqual({ success: true });
      await expect(lock.lock('redislock', r, 'b', 10)).resolves.toEqual({ success: false });
      await expect(lock.unlock('redislock', r, 'b')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      await expect(lock.unlock('redislock', r, 'a')).resolves.toEqual({ status: 'SUCCESS' });
      await expect(lock.unlock('redislock', r, 'a')).resolves.toEqual({ status: 'LOCK_DOES_NOT_EXIST' });
      // The key is the sidecar's app id's, as for any other client of that sidecar.
      await lock.lock('redislock', r, 'c', 10);
      expect(await redis.get(`lock||${appId}||${r}`)).toBe('c');
      const err = await lock.lock('nope', r, 'a', 10).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SidecarApiError);
      expect(err).toMatchObject({ status: 400, errorCode: 'ERR_LOCK_STORE_NOT_FOUND' });
    } finally {
      await ctx.close();
    }
  });
});
