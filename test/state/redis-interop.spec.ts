/**
 * The Redis state store shares data with Dapr sidecar apps: keys written in
 * Dapr's format by raw commands read through StateService (with their ETag),
 * and values saved by StateService read back with raw HGETALL. Also: a lost
 * connection fails the call with a typed error wrapping the driver's, and the
 * next call succeeds after ioredis reconnects.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { ComponentConfigError, DaprModule, ETagMismatchError, StateService, StateStoreError } from 'nest-dapr';

const REDIS = process.env.REDIS_HOST ?? '127.0.0.1:6379';
const [host, port] = REDIS.split(':');

async function boot(appId: string, metadata: Record<string, string> = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DaprModule.forRoot({
        appId,
        components: [{ name: 'statestore', type: 'state.redis', metadata: { redisHost: REDIS, ...metadata } }],
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('state.redis interop with Dapr storage format', () => {
  const appId = `interop-${randomUUID().slice(0, 8)}`;
  const key = (k: string) => `${appId}||${k}`;
  let app: INestApplication;
  let state: StateService;
  let raw: Redis;

  beforeAll(async () => {
    raw = new Redis({ host, port: Number(port), lazyConnect: true });
    await raw.connect();
    app = await boot(appId);
    state = app.get(StateService);
  });

  afterAll(async () => {
    const keys = await raw.keys(`${appId}||*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    await app?.close();
  });

  it('reads a hash written by raw HSET in Dapr format, with its version as ETag', async () => {
    await raw.hset(key('k'), 'data', JSON.stringify({ a: 1, s: 'x' }), 'version', '1');
    await expect(state.getItem('statestore', 'k')).resolves.toEqual({ key: 'k', value: { a: 1, s: 'x' }, etag: '1' });
    // Dapr JSON-encodes strings: "\"hello\"" reads back as hello.
    await raw.hset(key('s'), 'data', '"hello"', 'version', '7');
    await expect(state.getItem('statestore', 's')).resolves.toMatchObject({ value: 'hello', etag: '7' });
    // The Dapr ETag works for an update, and the version moves on as Dapr's script does.
    await state.save('statestore', { key: 'k', value: { a: 2 }, etag: '1' });
    expect(await raw.hgetall(key('k'))).toEqual({ data: '{"a":2}', version: '2' });
    await expect(state.save('statestore', { key: 'k', value: { a: 3 }, etag: '1' })).rejects.toBeInstanceOf(ETagMismatchError);
  });

  it('writes hashes that raw HGETALL reads in Dapr format', async () => {
    await state.save('statestore', { key: 'order', value: { id: 42, items: ['a', 'b'] } });
    expect(await raw.hgetall(key('order'))).toEqual({ data: '{"id":42,"items":["a","b"]}', version: '1' });
    await state.save('statestore', { key: 'order', value: 'text' });
    expect(await raw.hgetall(key('order'))).toEqual({ data: '"text"', version: '2' });
    await state.save('statestore', { key: 'n', value: 5 });
    expect(await raw.hget(key('n'), 'data')).toBe('5');

    await state.save('statestore', { key: 'fw', value: true, options: { concurrency: 'first-write' } });
    expect(await raw.hgetall(key('fw'))).toEqual({ data: 'true', version: '1', 'first-write': '0' });

    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x7b]);
    await state.save('statestore', { key: 'bin', value: bytes });
    expect(Buffer.compare((await raw.hgetBuffer(key('bin'), 'data'))!, bytes)).toBe(0);

    await state.delete('statestore', 'order');
    expect(await raw.exists(key('order'))).toBe(0);
  });

  it('uses EXPIRE / PERSIST for TTL and keeps an existing TTL on a save without one, like Dapr', async () => {
    await state.save('statestore', { key: 'ttl', value: 1, metadata: { ttlInSeconds: '100' } });
    const ttl1 = await raw.ttl(key('ttl'));
    expect(ttl1).toBeGreaterThan(95);
    expect(ttl1).toBeLessThanOrEqual(100);
    await state.save('statestore', { key: 'ttl', value: 2 });
    expect(await raw.ttl(key('ttl'))).toBeGreaterThan(95);
    await state.save('statestore', { key: 'ttl', value: 3, metadata: { ttlInSeconds: '-1' } });
    expect(await raw.ttl(key('ttl'))).toBe(-1);
  });

  it("a nest-dapr byte value reads back byte-exact until a Dapr app overwrites it with Dapr's setDefaultQuery", async () => {
    // Bytes that happen to be JSON: nest-dapr's own write keeps them bytes.
    const bytes = Buffer.from('{"a":1}');
    await state.save('statestore', { key: 'shared', value: bytes });
    const mine = await state.get<Buffer>('statestore', 'shared');
    expect(Buffer.isBuffer(mine) && Buffer.compare(mine, bytes)).toBe(0);
    // Dapr (components-contrib state/redis setDefaultQuery, as run by daprd for a save
    // without ETag or first-write): it sets data and bumps version, never touching other fields.
    const daprSet = [
      'local etag = redis.pcall("HGET", KEYS[1], "version");',
      'if type(etag) == "table" then redis.call("DEL", KEYS[1]); end;',
      'local fwr = redis.pcall("HGET", KEYS[1], "first-write");',
      'if not etag or type(etag)=="table" or etag == "" or etag == ARGV[1] or (not fwr and ARGV[1] == "0") then',
      '  redis.call("HSET", KEYS[1], "data", ARGV[2]);',
      '  if ARGV[3] == "0" then redis.call("HSET", KEYS[1], "first-write", 0); end;',
      '  return redis.call("HINCRBY", KEYS[1], "version", 1)',
      'else return error("failed to set key " .. KEYS[1]) end',
    ].join('\n');
    await raw.eval(daprSet, 1, key('shared'), '0', '{"b":2}', '1');
    // What an @dapr/dapr app reads for these bytes: the JSON, parsed.
    await expect(state.getItem('statestore', 'shared')).resolves.toEqual({ key: 'shared', value: { b: 2 }, etag: '2' });
    // And a later nest-dapr byte write marks the new version again.
    await state.save('statestore', { key: 'shared', value: bytes });
    expect(Buffer.isBuffer(await state.get('statestore', 'shared'))).toBe(true);
    expect(await raw.hget(key('shared'), 'nest-dapr-binary')).toBe('3');
  });

  it("queryIndexes (Dapr's query API on Redis) fails at init naming the modules this server lacks", async () => {
    const err = await boot(`${appId}-q`, { queryIndexes: '[{"name":"idx","indexes":[{"key":"a","type":"TEXT"}]}]' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentConfigError);
    // The shared test server is plain Redis (no Redis Stack package exists for this machine).
    expect((err as Error).message).toMatch(/metadata "queryIndexes" needs the RedisJSON and RediSearch modules \(Redis Stack\), which this server does not have/);
  });

  it('reads a legacy plain string key without an ETag', async () => {
    await raw.set(key('legacy'), '{"old":true}');
    await expect(state.getItem('statestore', 'legacy')).resolves.toEqual({ key: 'legacy', value: { old: true } });
  });

  it('transactions write the same format (in one all-or-nothing script)', async () => {
    await state.transaction('statestore', [
      { operation: 'upsert', request: { key: 't1', value: { v: 1 } } },
      { operation: 'upsert', request: { key: 't2', value: 'two', metadata: { ttlInSeconds: '50' } } },
      { operation: 'delete', request: { key: 'k' } },
    ]);
    expect(await raw.hgetall(key('t1'))).toEqual({ data: '{"v":1}', version: '1' });
    expect(await raw.hgetall(key('t2'))).toEqual({ data: '"two"', version: '1' });
    expect(await raw.ttl(key('t2'))).toBeGreaterThan(45);
    expect(await raw.exists(key('k'))).toBe(0);
  });

  it('a transaction is all or nothing, with each ETag checked against what the earlier operations leave', async () => {
    await state.save('statestore', { key: 'ax', value: 'x' });
    const etag = (await state.getItem('statestore', 'ax'))!.etag!;
    // Two writes of one key in one transaction: the second sees the version the first made.
    await state.transaction('statestore', [
      { operation: 'upsert', request: { key: 'ax', value: 'x2', etag } },
      { operation: 'upsert', request: { key: 'ax', value: 'x3', etag: String(Number(etag) + 1) } },
      { operation: 'upsert', request: { key: 'ay', value: 'y' } },
    ]);
    expect(await raw.hgetall(key('ax'))).toEqual({ data: '"x3"', version: String(Number(etag) + 2) });
    // A stale ETag anywhere: nothing is written, not even the operations before it (Dapr's MULTI would keep them).
    const err = await state
      .transaction('statestore', [
        { operation: 'upsert', request: { key: 'az', value: 'z' } },
        { operation: 'delete', request: { key: 'ay' } },
        { operation: 'upsert', request: { key: 'ax', value: 'stale', etag } },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ETagMismatchError);
    expect((err as ETagMismatchError).message).toContain('ax');
    expect(await raw.exists(key('az'))).toBe(0);
    expect(await raw.hget(key('ay'), 'data')).toBe('"y"');
    expect(await raw.hget(key('ax'), 'data')).toBe('"x3"');
    // A key created with first-write refuses an upsert without an ETag inside a transaction too.
    await state.save('statestore', { key: 'fw-tx', value: 1, options: { concurrency: 'first-write' } });
    await expect(state.transaction('statestore', [{ operation: 'upsert', request: { key: 'fw-tx', value: 2 } }])).rejects.toBeInstanceOf(ETagMismatchError);
  });

  it('component ttlInSeconds is the default TTL of every save; -1 on a save overrides it', async () => {
    const id = `ttl-${randomUUID().slice(0, 8)}`;
    const other = await boot(id, { ttlInSeconds: '100' });
    try {
      const svc = other.get(StateService);
      await svc.save('statestore', { key: 'a', value: 1 });
      expect(await raw.ttl(`${id}||a`)).toBeGreaterThan(95);
      await svc.save('statestore', { key: 'b', value: 1, metadata: { ttlInSeconds: '-1' } });
      expect(await raw.ttl(`${id}||b`)).toBe(-1);
    } finally {
      await raw.del(`${id}||a`, `${id}||b`);
      await other.close();
    }
  });

  it('component keyPrefix name / none / custom / empty map to the stored key', async () => {
    const suffix = randomUUID().slice(0, 8);
    for (const [prefix, stored] of [
      ['name', `statestore||kp-${suffix}`],
      ['none', `kp-${suffix}`],
      [`custom${suffix}`, `custom${suffix}||kp-${suffix}`],
      // Dapr treats "" as a custom prefix: the key gets a bare "||".
      ['', `||kp-${suffix}`],
    ] as const) {
      const other = await boot(`kp-${suffix}`, { keyPrefix: prefix });
      try {
        await other.get(StateService).save('statestore', { key: `kp-${suffix}`, value: prefix });
        expect(await raw.hget(stored, 'data')).toBe(JSON.stringify(prefix));
      } finally {
        await raw.del(stored);
        await other.close();
      }
    }
  });
});

describe('state.redis after a lost connection', () => {
  let raw: Redis;

  beforeAll(async () => {
    raw = new Redis({ host, port: Number(port), lazyConnect: true });
    await raw.connect();
  });

  afterAll(() => raw.disconnect());

  async function connectionId(appId: string): Promise<string> {
    const list = (await raw.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` name=nest-dapr.${appId}.statestore `));
    if (!line) throw new Error(`connection of ${appId} not found in CLIENT LIST`);
    return /\bid=(\d+)/.exec(line)![1];
  }

  async function recovered<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async function killConnection(appId: string): Promise<void> {
    await raw.client('KILL', 'ID', await connectionId(appId));
  }

  it('fails the call in flight with a typed error wrapping the driver error, then recovers', async () => {
    const appId = `reconnect-${randomUUID().slice(0, 8)}`;
    // redisMaxRetries -1: no command waits through a reconnect, so the loss surfaces.
    const app = await boot(appId, { redisMaxRetries: '-1' });
    const state = app.get(StateService);
    try {
      await state.save('statestore', { key: 'k', value: 'v' });
      let failure: unknown;
      for (let attempt = 0; attempt < 20 && !failure; attempt++) {
        // The get is written right behind the KILL (sent on another connection, not awaited), so
        // it is usually in flight when the connection drops; one issued after the client saw the
        // close would wait in ioredis' offline queue and be served after the reconnect instead.
        const id = await connectionId(appId);
        const killed = raw.client('KILL', 'ID', id);
        const got = state.get('statestore', 'k').then(
          (v) => {
            // Served after the reconnect: still the right value.
            expect(v).toBe('v');
            return undefined;
          },
          (err: unknown) => err,
        );
        await killed;
        failure = await got;
        // Once the client has reconnected, calls succeed again (one sent before it noticed the
        // drop may still fail, so a few tries are allowed).
        await expect(recovered(() => state.get('statestore', 'k'))).resolves.toBe('v');
      }
      expect(failure).toBeInstanceOf(StateStoreError);
      expect(failure).toMatchObject({ errorCode: 'ERR_STATE_GET', store: 'statestore' });
      expect((failure as Error).cause).toBeInstanceOf(Error);
      expect((failure as Error).message).toContain(((failure as Error).cause as Error).message);
    } finally {
      await raw.del(`${appId}||k`);
      await app.close();
    }
  });

  it('with retries (the default) a call across a dropped connection succeeds', async () => {
    const appId = `reconnect-${randomUUID().slice(0, 8)}`;
    const app = await boot(appId);
    const state = app.get(StateService);
    try {
      await state.save('statestore', { key: 'k', value: 1 });
      await killConnection(appId);
      await state.save('statestore', { key: 'k', value: 2 });
      await expect(state.getItem('statestore', 'k')).resolves.toMatchObject({ value: 2, etag: '2' });
    } finally {
      await raw.del(`${appId}||k`);
      await app.close();
    }
  });
});
