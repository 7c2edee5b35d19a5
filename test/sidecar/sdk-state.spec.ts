import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import { StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import Redis from 'ioredis';
import { Client } from 'pg';
import { PROTOCOLS, sdkClient, sdkHttpError, thrown, type Protocol } from './support/sdk';
import { component, startSidecar, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * The official SDK's DaprClient against `nest-dapr run` on real Redis and
 * PostgreSQL state stores: the same calls an app makes against daprd, with
 * ETags, transactions, bulk reads and the query API, and Dapr's error answers.
 */
const run = randomBytes(4).toString('hex');
const GRPC_ABORTED = 10;
const GRPC_INTERNAL = 13;

/** The SDK's HTTP client returns `{ error }` for failed saves and deletes, its gRPC client throws: both become `{ error }`. */
async function settle(fn: () => Promise<{ error?: unknown }>): Promise<{ error?: unknown }> {
  try {
    return await fn();
  } catch (error) {
    return { error };
  }
}
const appId = `sdkstate-${run}`;
const table = `sdk_state_${run}`;
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

let dir: string;
let sidecar: RunningSidecar;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-state-'));
  writeResources(dir, [
    component('redisstore', 'state.redis', { redisHost: '127.0.0.1:6379' }),
    component('pgstore', 'state.postgresql', { connectionString: PG_URL, tableName: table, metadataTableName: `${table}_meta` }),
  ]);
  sidecar = await startSidecar({ appId, resources: dir });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis('127.0.0.1:6379');
  const keys = await redis.keys(`${appId}||*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  const pg = new Client({ connectionString: PG_URL });
  await pg.connect();
  await pg.query(`DROP TABLE IF EXISTS ${table}`);
  await pg.query(`DROP TABLE IF EXISTS ${table}_meta`);
  await pg.end();
});

describe.each(PROTOCOLS)('DaprClient over %s: state', (protocol: Protocol) => {
  let client: DaprClient;
  const key = (k: string) => `${protocol}-${k}`;

  beforeAll(() => {
    client = sdkClient(sidecar, protocol);
  });
  afterAll(async () => {
    await client.stop();
  });

  describe.each(['redisstore', 'pgstore'])('%s', (store) => {
    it('saves and reads objects, strings and numbers; a missing key reads as empty', async () => {
      await client.state.save(store, [
        { key: key('obj'), value: { id: 1, items: ['a', 'b'], nested: { ok: true } } },
        { key: key('str'), value: 'hello' },
        { key: key('num'), value: 42 },
      ]);
      expect(await client.state.get(store, key('obj'))).toEqual({ id: 1, items: ['a', 'b'], nested: { ok: true } });
      expect(await client.state.get(store, key('str'))).toBe('hello');
      expect(await client.state.get(store, key('num'))).toBe(42);
      expect(await client.state.get(store, key('missing'))).toBe('');
    });

    it('returns ETags from bulk reads, and first-write saves with a stale ETag fail', async () => {
      await client.state.save(store, [{ key: key('etag'), value: { v: 1 } }]);
      const [item] = await client.state.getBulk(store, [key('etag')]);
      expect(item.key).toBe(key('etag'));
      expect(item.etag).toBeTruthy();
      // A save with the current ETag wins...
      const ok = await client.state.save(store, [{ key: key('etag'), value: { v: 2 }, etag: item.etag, options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]);
      expect(ok.error).toBeUndefined();
      // ...the same ETag again is stale now: Dapr answers 409 ERR_STATE_SAVE.
      const stale = await settle(() => client.state.save(store, [{ key: key('etag'), value: { v: 3 }, etag: item.etag, options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]));
      expect(stale.error).toBeDefined();
      if (protocol === 'HTTP') {
        const e = sdkHttpError(stale.error);
        expect(e.status).toBe(409);
        expect(e.errorCode).toBe('ERR_STATE_SAVE');
      } else {
        expect((stale.error as { code: number }).code).toBe(GRPC_ABORTED);
      }
      expect(await client.state.get(store, key('etag'))).toEqual({ v: 2 });
    });

    it('deletes with and without an ETag', async () => {
      await client.state.save(store, [{ key: key('del'), value: 'x' }]);
      const [item] = await client.state.getBulk(store, [key('del')]);
      const wrong = await settle(() => client.state.delete(store, key('del'), { etag: '999' }));
      expect(wrong.error).toBeDefined();
      expect(await client.state.get(store, key('del'))).toBe('x');
      const ok = await client.state.delete(store, key('del'), { etag: item.etag });
      expect(ok.error).toBeUndefined();
      expect(await client.state.get(store, key('del'))).toBe('');
      // Deleting a missing key is not an error.
      expect((await client.state.delete(store, key('never'))).error).toBeUndefined();
    });

    it('reads in bulk: found keys with data and ETag, missing keys with the key only', async () => {
      await client.state.save(store, [
        { key: key('b1'), value: { n: 1 } },
        { key: key('b2'), value: 'two' },
      ]);
      const items = await client.state.getBulk(store, [key('b1'), key('b2'), key('b-missing')]);
      const byKey = new Map((items as unknown as { key: string; data?: unknown }[]).map((i) => [i.key, i]));
      expect(byKey.get(key('b1'))).toMatchObject({ key: key('b1'), data: { n: 1 } });
      expect(byKey.get(key('b2'))).toMatchObject({ key: key('b2'), data: 'two' });
      // HTTP: the element has the key only; gRPC: empty data and ETag (the SDK reads them as '').
      if (protocol === 'HTTP') expect(byKey.get(key('b-missing'))).toEqual({ key: key('b-missing') });
      else expect(byKey.get(key('b-missing'))).toEqual({ key: key('b-missing'), data: '', etag: '' });
    });

    it('runs transactions: upserts and deletes apply together', async () => {
      await client.state.save(store, [{ key: key('t-old'), value: 'old' }]);
      // The SDK's gRPC client takes transaction values as text only.
      await client.state.transaction(store, [
        { operation: 'upsert', request: { key: key('t1'), value: protocol === 'HTTP' ? { a: 1 } : JSON.stringify({ a: 1 }) } },
        { operation: 'upsert', request: { key: key('t2'), value: protocol === 'HTTP' ? 'b' : '"b"' } },
        { operation: 'delete', request: { key: key('t-old') } },
      ]);
      expect(await client.state.get(store, key('t1'))).toEqual({ a: 1 });
      expect(await client.state.get(store, key('t2'))).toBe('b');
      expect(await client.state.get(store, key('t-old'))).toBe('');
    });

    it('rejects a transaction whose ETag is stale, applying none of it', async () => {
      await client.state.save(store, [{ key: key('tx-e'), value: 1 }]);
      const err = await thrown(() =>
        client.state.transaction(store, [
          { operation: 'upsert', request: { key: key('tx-a'), value: '"a"' } },
          { operation: 'upsert', request: { key: key('tx-e'), value: '2', etag: (store === 'redisstore' ? '12345' : '1') as never } },
        ]),
      );
      if (protocol === 'HTTP') {
        const e = sdkHttpError(err);
        expect(e.status).toBe(500);
        expect(e.errorCode).toBe('ERR_STATE_TRANSACTION');
      } else {
        expect((err as { code: number }).code).toBe(GRPC_INTERNAL);
      }
      // Redis too: one script checks every ETag before writing (daprd's MULTI/EXEC would keep tx-a).
      expect(await client.state.get(store, key('tx-a'))).toBe('');
      expect(await client.state.get(store, key('tx-e'))).toBe(1);
    });
  });

  it('queries a store that supports the query API (PostgreSQL), with paging', async () => {
    const tag = `${protocol}-${run}`;
    await client.state.save('pgstore', [
      { key: key('q1'), value: { tag, city: 'Oslo', n: 1 } },
      { key: key('q2'), value: { tag, city: 'Oslo', n: 2 } },
      { key: key('q3'), value: { tag, city: 'Rome', n: 3 } },
    ]);
    const res = await client.state.query('pgstore', {
      filter: { AND: [{ EQ: { tag } }, { EQ: { city: 'Oslo' } }] },
      sort: [{ key: 'n', order: 'DESC' }],
      page: { limit: 10 },
    } as never);
    expect(res.results.map((r: { key: string }) => r.key)).toEqual([key('q2'), key('q1')]);
    // The SDK's gRPC client hands back the raw bytes.
    const data = res.results[0].data as unknown;
    expect(protocol === 'HTTP' ? data : JSON.parse(Buffer.from(data as Uint8Array).toString())).toEqual({ tag, city: 'Oslo', n: 2 });
  });

  it('answers Dapr errors: unknown store (400 / INVALID_ARGUMENT), query on Redis unsupported (500 / INTERNAL)', async () => {
    const unknown = await thrown(() => client.state.getBulk('nope', ['a']));
    const unsupported = await thrown(() => client.state.query('redisstore', { filter: { EQ: { a: 1 } } } as never));
    if (protocol === 'HTTP') {
      expect(sdkHttpError(unknown)).toMatchObject({ status: 400, errorCode: 'ERR_STATE_STORE_NOT_FOUND' });
      expect(sdkHttpError(unsupported)).toMatchObject({ status: 500, errorCode: 'ERR_STATE_STORE_NOT_SUPPORTED' });
    } else {
      expect(unknown).toMatchObject({ code: 3, rawMessage: expect.stringContaining('state store "nope" is not found') });
      expect(unsupported).toMatchObject({ code: GRPC_INTERNAL, rawMessage: expect.stringContaining('does not support the query API') });
    }
  });

  it('stores values in Dapr’s Redis format, readable by any Dapr app', async () => {
    await client.state.save('redisstore', [{ key: key('wire'), value: { wire: true } }]);
    const redis = new Redis('127.0.0.1:6379');
    try {
      const hash = await redis.hgetall(`${appId}||${key('wire')}`);
      expect(JSON.parse(hash.data)).toEqual({ wire: true });
      expect(hash.version).toBe('1');
    } finally {
      redis.disconnect();
    }
  });
});
