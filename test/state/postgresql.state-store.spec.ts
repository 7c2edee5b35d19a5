import type { Client } from 'pg';
import { PostgresStateStore } from '../../libs/dapr/src/components/postgresql/postgresql.state-store';
import type { StateSetRequest, StateTransactionOperation } from '../../libs/dapr/src/spi/state.spi';
import { ETagInvalidError, ETagMismatchError, StateRequestInvalidError } from '../../libs/dapr/src/errors/state.errors';
import { parseStateQuery } from '../../libs/dapr/src/state/query/state-query.filter';
import { dropTables, eventually, pgComponent, rawClient, uniqueTables } from './postgresql-support';

/**
 * `state.postgresql` at the driver (SPI) level against the real PostgreSQL:
 * Dapr's table layout and migrations, xmin ETags, transactions, TTL with the
 * collector, the query translation and SQL injection attempts.
 */
describe('state.postgresql driver', () => {
  const tables = uniqueTables('drv');
  const T = tables.tableName;
  let store: PostgresStateStore;
  let raw: Client;

  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const setReq = (key: string, value: unknown, extra: Partial<StateSetRequest> = {}): StateSetRequest => ({
    key,
    value: value instanceof Uint8Array ? value : json(value),
    isBinary: value instanceof Uint8Array,
    metadata: {},
    ...extra,
  });
  const read = async (key: string) => {
    const r = await store.get({ key, metadata: {} });
    return r && { value: r.isBinary ? Buffer.from(r.data) : JSON.parse(Buffer.from(r.data).toString()), etag: r.etag, r };
  };
  const xmin = async (key: string) => (await raw.query(`SELECT xmin::text AS x FROM ${T} WHERE key = $1`, [key])).rows[0]?.x;

  beforeAll(async () => {
    raw = await rawClient();
    store = new PostgresStateStore();
    // A 1s collector so the TTL test can watch it work.
    await store.init(pgComponent({ ...tables, cleanupInterval: '1s' }));
  });

  afterAll(async () => {
    await store?.close();
    await dropTables(raw, T, tables.metadataTableName);
    await raw.end();
  });

  it('creates exactly Dapr v1 table layout and records the migration level', async () => {
    const cols = await raw.query(
      `SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
        WHERE table_name = $1 ORDER BY ordinal_position`,
      [T],
    );
    expect(cols.rows.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['key', 'text', 'NO'],
      ['value', 'jsonb', 'NO'],
      ['isbinary', 'boolean', 'NO'],
      ['insertdate', 'timestamp with time zone', 'NO'],
      ['updatedate', 'timestamp with time zone', 'YES'],
      ['expiredate', 'timestamp with time zone', 'YES'],
      ['row_id', 'bigint', 'NO'],
    ]);
    expect(cols.rows[3].column_default).toBe('now()');
    expect(cols.rows[6].is_identity).toBe('YES');
    const pk = await raw.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [T],
    );
    expect(pk.rows.map((r) => r.attname)).toEqual(['key']);
    const idx = await raw.query(`SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [T]);
    expect(idx.rows.map((r) => r.indexname)).toEqual([`${T}_pkey`, `${T}_row_id_uidx`]);
    const md = await raw.query(`SELECT key, value FROM ${tables.metadataTableName} ORDER BY key`);
    expect(md.rows.filter((r) => r.key !== 'last-cleanup')).toEqual([
      { key: 'lock', value: 'lock' },
      { key: 'migrations', value: '3' },
    ]);
  });

  it('reads a row that Dapr (plain SQL) wrote, with its xmin as the ETag, and Dapr reads ours', async () => {
    await raw.query(`INSERT INTO ${T} (key, value, isbinary) VALUES ($1, $2, false), ($3, $4, true)`, [
      'dapr-app||order-1',
      '{"id": 1, "items": ["a", "b"]}',
      'dapr-app||blob',
      JSON.stringify(Buffer.from([0, 1, 2, 255]).toString('base64')),
    ]);
    const got = await read('dapr-app||order-1');
    expect(got?.value).toEqual({ id: 1, items: ['a', 'b'] });
    expect(got?.etag).toBe(await xmin('dapr-app||order-1'));
    expect(got?.r.isBinary).toBeFalsy();
    const blob = await read('dapr-app||blob');
    expect(blob?.r.isBinary).toBe(true);
    expect([...Buffer.from(blob!.r.data)]).toEqual([0, 1, 2, 255]);

    // The other direction: what we store is what Dapr's own queries expect.
    await store.set(setReq('pg-spec||mine', { total: 12.5, tags: ['x'] }));
    await store.set(setReq('pg-spec||bytes', Uint8Array.from([9, 8, 7])));
    const rows = await raw.query(`SELECT key, value, isbinary, updatedate, expiredate FROM ${T} WHERE key LIKE 'pg-spec||%' ORDER BY key`);
    expect(rows.rows).toEqual([
      { key: 'pg-spec||bytes', value: Buffer.from([9, 8, 7]).toString('base64'), isbinary: true, updatedate: null, expiredate: null },
      { key: 'pg-spec||mine', value: { total: 12.5, tags: ['x'] }, isbinary: false, updatedate: null, expiredate: null },
    ]);
  });

  it('round-trips every value type of the conformance scenarios', async () => {
    const values: [string, unknown][] = [
      ['int', 123],
      ['bool', true],
      ['string-with-json', '{"a":"b"}'],
      ['string', 'hello world'],
      ['empty-string', ''],
      ['struct', { message: 'test' }],
      ['null', null],
    ];
    for (const [k, v] of values) await store.set(setReq(`rt-${k}`, v));
    for (const [k, v] of values) expect((await read(`rt-${k}`))?.value).toEqual(v);
    const bytes = Uint8Array.from([0x01]);
    await store.set(setReq('rt-bytes', bytes));
    expect([...Buffer.from((await store.get({ key: 'rt-bytes', metadata: {} }))!.data)]).toEqual([1]);
    await expect(store.get({ key: 'rt-never-written', metadata: {} })).resolves.toBeUndefined();
  });

  it('checks xmin ETags on set and delete: mismatch, invalid shape, success changes the ETag', async () => {
    await store.set(setReq('etag-k', 1));
    const first = (await read('etag-k'))!.etag!;
    expect(first).toMatch(/^\d+$/);

    await store.set(setReq('etag-k', 2, { etag: first }));
    const second = (await read('etag-k'))!.etag!;
    expect(second).not.toBe(first);

    await expect(store.set(setReq('etag-k', 3, { etag: first }))).rejects.toBeInstanceOf(ETagMismatchError);
    // Dapr's conformance "bad etag" for PG v1 is "1".
    await expect(store.set(setReq('etag-k', 3, { etag: '1' }))).rejects.toBeInstanceOf(ETagMismatchError);
    for (const bad of ['abc', '-1', '1.5', '4294967296', ' 12']) {
      await expect(store.set(setReq('etag-k', 3, { etag: bad }))).rejects.toBeInstanceOf(ETagInvalidError);
      await expect(store.delete({ key: 'etag-k', etag: bad, metadata: {} })).rejects.toBeInstanceOf(ETagInvalidError);
    }
    // An ETag on a missing key cannot match.
    await expect(store.set(setReq('etag-missing', 1, { etag: second }))).rejects.toBeInstanceOf(ETagMismatchError);
    expect((await read('etag-k'))?.value).toBe(2);

    await expect(store.delete({ key: 'etag-k', etag: first, metadata: {} })).rejects.toBeInstanceOf(ETagMismatchError);
    expect(await read('etag-k')).toBeDefined();
    await store.delete({ key: 'etag-k', etag: second, metadata: {} });
    expect(await read('etag-k')).toBeUndefined();
    // Deleting a key that does not exist is not an error.
    await expect(store.delete({ key: 'etag-k', metadata: {} })).resolves.toBeUndefined();
  });

  it('first-write: creates a missing key, refuses an existing one, and needs the current ETag to update', async () => {
    const fw = { options: { concurrency: 'first-write' as const } };
    await store.set(setReq('fw-k', 'one', fw));
    await expect(store.set(setReq('fw-k', 'two', fw))).rejects.toBeInstanceOf(ETagMismatchError);
    expect((await read('fw-k'))?.value).toBe('one');
    const etag = (await read('fw-k'))!.etag!;
    await store.set(setReq('fw-k', 'two', { ...fw, etag }));
    await expect(store.set(setReq('fw-k', 'three', { ...fw, etag }))).rejects.toBeInstanceOf(ETagMismatchError);
    expect((await read('fw-k'))?.value).toBe('two');
  });

  it('bulk get returns found keys with ETags and a bare entry for a missing key', async () => {
    await store.set(setReq('bulk-a', 'a'));
    await store.set(setReq('bulk-b', Uint8Array.from([7])));
    const res = await store.bulkGet([{ key: 'doesnotexist', metadata: {} }, { key: 'bulk-a', metadata: {} }, { key: 'bulk-b', metadata: {} }]);
    expect(res.map((r) => r.key)).toEqual(['doesnotexist', 'bulk-a', 'bulk-b']);
    expect(res[0]).toEqual({ key: 'doesnotexist' });
    expect(Buffer.from(res[1].data!).toString()).toBe('"a"');
    expect(res[1].etag).toBe(await xmin('bulk-a'));
    expect(res[2].isBinary).toBe(true);
    expect([...Buffer.from(res[2].data!)]).toEqual([7]);
  });

  it('multi applies operations in order inside one transaction', async () => {
    await store.set(setReq('trx-1', 'v1'));
    await store.multi(
      [
        { operation: 'delete', request: { key: 'trx-1', metadata: {} } },
        { operation: 'upsert', request: setReq('trx-2', 'v2') },
        { operation: 'delete', request: { key: 'trx-2', metadata: {} } },
        { operation: 'upsert', request: setReq('trx-3', 'value3') },
      ],
      {},
    );
    expect(await read('trx-1')).toBeUndefined();
    expect(await read('trx-2')).toBeUndefined();
    expect(Buffer.from((await store.get({ key: 'trx-3', metadata: {} }))!.data).toString()).toBe('"value3"');
    // A single delete of a missing key is fine.
    await expect(store.multi([{ operation: 'delete', request: { key: 'trx-none', metadata: {} } }], {})).resolves.toBeUndefined();
  });

  it('multi rolls everything back when one ETag does not match', async () => {
    await store.set(setReq('rb-a', 'a0'));
    await store.set(setReq('rb-b', 'b0'));
    const etagA = (await read('rb-a'))!.etag!;
    const stale = (await read('rb-b'))!.etag!;
    await store.set(setReq('rb-b', 'b1')); // makes `stale` out of date
    const ops: StateTransactionOperation[] = [
      { operation: 'upsert', request: setReq('rb-a', 'a1', { etag: etagA }) },
      { operation: 'upsert', request: setReq('rb-new', 'n1') },
      { operation: 'delete', request: { key: 'rb-gone', metadata: {} } },
      { operation: 'upsert', request: setReq('rb-b', 'b2', { etag: stale }) },
    ];
    await store.set(setReq('rb-gone', 'still here'));
    await expect(store.multi(ops, {})).rejects.toBeInstanceOf(ETagMismatchError);
    expect((await read('rb-a'))?.value).toBe('a0');
    expect((await read('rb-a'))?.etag).toBe(etagA);
    expect(await read('rb-new')).toBeUndefined();
    expect((await read('rb-gone'))?.value).toBe('still here');
    expect((await read('rb-b'))?.value).toBe('b1');

    // A malformed ETag is refused before anything runs.
    await expect(
      store.multi([{ operation: 'upsert', request: setReq('rb-new', 1) }, { operation: 'delete', request: { key: 'rb-a', etag: 'x', metadata: {} } }], {}),
    ).rejects.toBeInstanceOf(ETagInvalidError);
    expect(await read('rb-new')).toBeUndefined();

    // With the right ETags the same transaction commits.
    const etagB = (await read('rb-b'))!.etag!;
    await store.multi([{ ...ops[0] }, ops[1], ops[2], { operation: 'upsert', request: setReq('rb-b', 'b2', { etag: etagB }) }], {});
    expect((await read('rb-a'))?.value).toBe('a1');
    expect((await read('rb-new'))?.value).toBe('n1');
    expect(await read('rb-gone')).toBeUndefined();
    expect((await read('rb-b'))?.value).toBe('b2');
  });

  it('TTL: sets expiredate, reports ttlExpireTime, hides expired rows and the collector deletes them', async () => {
    const before = Date.now();
    await store.set(setReq('ttl-k', 'short', { ttlInSeconds: 1 }));
    await store.set(setReq('ttl-long', 'long', { metadata: { ttlInSeconds: '3600' } }));
    const got = await read('ttl-k');
    expect(got?.value).toBe('short');
    const exp = Date.parse(got!.r.metadata!.ttlExpireTime);
    expect(got!.r.metadata!.ttlExpireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(exp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(exp).toBeLessThanOrEqual(before + 3000);

    // Re-saving without a TTL clears it; -1 also means "never expire".
    await store.set(setReq('ttl-clear', 'x', { ttlInSeconds: 60 }));
    await store.set(setReq('ttl-clear', 'x'));
    expect((await read('ttl-clear'))?.r.metadata).toBeUndefined();
    await store.set(setReq('ttl-clear', 'x', { ttlInSeconds: 60 }));
    await store.set(setReq('ttl-clear', 'x', { ttlInSeconds: -1 }));
    expect((await read('ttl-clear'))?.r.metadata).toBeUndefined();

    await eventually('ttl-k to expire', async () => (await read('ttl-k')) === undefined, 5000);
    // first-write may take over an expired but not yet collected row.
    await store.set(setReq('ttl-fw', 'old', { ttlInSeconds: 1 }));
    await eventually('ttl-fw to expire', async () => (await read('ttl-fw')) === undefined, 5000);
    // An ETag never matches an expired row.
    await expect(store.set(setReq('ttl-fw', 'x', { etag: '1' }))).rejects.toBeInstanceOf(ETagMismatchError);

    // The 1s collector removes the expired rows from the table itself.
    await eventually(
      'the collector to delete expired rows',
      async () => (await raw.query(`SELECT count(*)::int AS n FROM ${T} WHERE key IN ('ttl-k', 'ttl-fw')`)).rows[0].n === 0,
      8000,
      200,
    );
    expect((await read('ttl-long'))?.value).toBe('long');
    const last = await raw.query(`SELECT value FROM ${tables.metadataTableName} WHERE key = 'last-cleanup'`);
    expect(Date.parse(last.rows[0].value)).toBeGreaterThan(before - 1000);

    await store.set(setReq('ttl-fw2', 'old', { ttlInSeconds: 1 }));
    await eventually('ttl-fw2 to expire', async () => (await read('ttl-fw2')) === undefined, 5000);
    await store.set(setReq('ttl-fw2', 'new', { options: { concurrency: 'first-write' } }));
    expect((await read('ttl-fw2'))?.value).toBe('new');

    await expect(store.set(setReq('ttl-bad', 1, { metadata: { ttlInSeconds: 'foo' } }))).rejects.toBeInstanceOf(StateRequestInvalidError);
  });

  describe('query', () => {
    const P = 'qapp||';
    const people = [
      { id: 1, person: { org: 'Dev Ops', id: 1036 }, city: 'Seattle', state: 'WA', score: 9 },
      { id: 2, person: { org: 'Hardware', id: 1028 }, city: 'Portland', state: 'OR', score: 10 },
      { id: 3, person: { org: 'Finance', id: 1071 }, city: 'Sacramento', state: 'CA', score: 100 },
      { id: 4, person: { org: 'Dev Ops', id: 1042 }, city: 'Spokane', state: 'WA', score: 55.5 },
      { id: 5, person: { org: 'Finance', id: 1007 }, city: 'Los Angeles', state: 'CA', score: 'n/a' },
      { id: 6, person: { org: 'Dev Ops', id: 1013 }, city: 'San Francisco', state: 'CA' },
    ];
    const q = async (query: Parameters<typeof parseStateQuery>[0], keyPrefix = P) =>
      store.query!({ query: query as never, parsed: parseStateQuery(query), metadata: {}, keyPrefix });
    const ids = (res: Awaited<ReturnType<typeof q>>) =>
      res.results.map((r) => (r.isBinary ? 'blob' : JSON.parse(Buffer.from(r.data).toString()).id));

    beforeAll(async () => {
      for (const p of people) await store.set(setReq(`${P}p${p.id}`, p));
      // Same shape under another app's prefix: must never show up.
      await store.set(setReq('otherapp||p1', people[0]));
      await store.set(setReq('qbin||blob', Uint8Array.from([1, 2])));
      await store.set(setReq('qbin||json', { state: 'CA' }));
    });

    it('filters with EQ, IN, AND, OR over dotted paths', async () => {
      const res = await q({
        filter: { OR: [{ EQ: { 'person.org': 'Dev Ops' } }, { AND: [{ EQ: { 'person.org': 'Finance' } }, { IN: { state: ['CA', 'WA'] } }] }] },
        sort: [{ key: 'state', order: 'DESC' }, { key: 'person.id' }],
      });
      expect(ids(res)).toEqual([1, 4, 5, 6, 3]);
      expect(res.results.every((r) => r.key.startsWith(P) && /^\d+$/.test(r.etag!))).toBe(true);
      expect(res.token).toBeUndefined();
    });

    it('compares numbers as numbers and never across types', async () => {
      expect(ids(await q({ filter: { GT: { score: 9 } }, sort: [{ key: 'score' }] }))).toEqual([2, 4, 3]);
      expect(ids(await q({ filter: { AND: [{ GTE: { score: 10 } }, { LT: { score: 100 } }] } }))).toEqual([2, 4]);
      expect(ids(await q({ filter: { LTE: { score: 9 } } }))).toEqual([1]);
      expect(ids(await q({ filter: { GT: { city: 'S' } }, sort: [{ key: 'city' }] }))).toEqual([3, 6, 1, 4]);
      // NEQ also matches a missing field, as the block's reference evaluator does.
      expect(ids(await q({ filter: { NEQ: { state: 'CA' } } }))).toEqual([1, 2, 4]);
      expect(ids(await q({ filter: { NEQ: { score: 9 } } }))).toEqual([2, 3, 4, 5, 6]);
    });

    it('pages with an offset token until the last page', async () => {
      const seen: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await q({ sort: [{ key: 'person.id', order: 'DESC' }], page: { limit: 2, token } });
        seen.push(...ids(res));
        token = res.token;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(seen).toEqual([3, 4, 1, 2, 6, 5]);
      const second = await q({ sort: [{ key: 'person.id', order: 'DESC' }], page: { limit: 2, token: '2' } });
      expect(ids(second)).toEqual([1, 2]);
      expect(second.token).toBe('4');
    });

    it('skips binary values and keys of other prefixes', async () => {
      expect((await q({})).results.map((r) => r.key)).toEqual(people.map((p) => `${P}p${p.id}`));
      const res = await q({}, 'qbin||');
      // Bytes have no fields to query: like the in-memory reference store, queries skip them.
      expect(res.results.map((r) => r.key)).toEqual(['qbin||json']);
      expect((await q({ filter: { NEQ: { state: 'WA' } } }, 'qbin||')).results.map((r) => r.key)).toEqual(['qbin||json']);
      expect((await q({ filter: { NEQ: { state: 'CA' } } }, 'qbin||')).results).toEqual([]);
    });
  });

  it('treats SQL in keys, values, query fields and query values as plain data', async () => {
    const count = async () => (await raw.query(`SELECT count(*)::int AS n FROM ${T}`)).rows[0].n as number;
    const evil = [
      `x'; DROP TABLE ${T}; --`,
      `k' OR '1'='1`,
      `"; DELETE FROM ${T}; --`,
      `\\'); TRUNCATE ${T}; --`,
      `$1 $2 ::jsonb`,
    ];
    for (const k of evil) await store.set(setReq(`inj||${k}`, { k, note: `'; DROP TABLE ${T}; --` }));
    const n = await count();
    for (const k of evil) {
      const got = await read(`inj||${k}`);
      expect(got?.value).toEqual({ k, note: `'; DROP TABLE ${T}; --` });
      await expect(store.get({ key: `inj||${k}' OR '1'='1`, metadata: {} })).resolves.toBeUndefined();
    }
    await store.delete({ key: `inj||' OR 1=1; --`, metadata: {} });
    await store.delete({ key: `inj||%`, metadata: {} });
    expect(await count()).toBe(n);

    const q = (query: Parameters<typeof parseStateQuery>[0]) =>
      store.query!({ query: query as never, parsed: parseStateQuery(query), metadata: {}, keyPrefix: `inj||' OR '1'='1` });
    await expect(q({})).resolves.toEqual({ results: [], token: undefined });
    const inj = (query: Parameters<typeof parseStateQuery>[0]) =>
      store.query!({ query: query as never, parsed: parseStateQuery(query), metadata: {}, keyPrefix: 'inj||' });
    expect((await inj({ filter: { EQ: { k: `k' OR '1'='1` } } })).results).toHaveLength(1);
    expect((await inj({ filter: { EQ: { [`k') OR true; DROP TABLE ${T}; --`]: 1 } } })).results).toHaveLength(0);
    expect((await inj({ filter: { EQ: { "k'->>'x": 1 } } })).results).toHaveLength(0);
    expect((await inj({ filter: { IN: { note: [`'; DROP TABLE ${T}; --`, "' OR 1=1 --"] } } })).results).toHaveLength(evil.length);
    expect((await inj({ filter: { GT: { k: "' OR 1=1 --" } }, sort: [{ key: `k'; DROP TABLE ${T}; --` }] })).results.length).toBeGreaterThan(0);
    await expect(store.keysLike(`nomatch||%' OR '1'='1`)).resolves.toEqual({ keys: [], continuationToken: undefined });
    expect(await count()).toBe(n);
  });

  it('lists keys matching a LIKE pattern in row order with a continuation token', async () => {
    for (let i = 0; i < 5; i++) await store.set(setReq(`like||k${i}`, i));
    await store.set(setReq('like||other_1', 1));
    const page1 = await store.keysLike('like||k%', { pageSize: 3 });
    expect(page1.keys).toEqual(['like||k0', 'like||k1', 'like||k2']);
    expect(page1.continuationToken).toBeDefined();
    await store.delete({ key: 'like||k3', metadata: {} });
    const page2 = await store.keysLike('like||k%', { pageSize: 3, continuationToken: page1.continuationToken });
    expect(page2).toEqual({ keys: ['like||k4'], continuationToken: undefined });
    expect((await store.keysLike('like||other\\_%')).keys).toEqual(['like||other_1']);
    await expect(store.keysLike('')).rejects.toBeInstanceOf(StateRequestInvalidError);
  });

  it('survives its connections being killed: the next call reconnects', async () => {
    await store.set(setReq('conn-k', 'before'));
    const killed = await raw.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nest-dapr' AND pid <> pg_backend_pid()
         AND query LIKE '%' || $1 || '%'`,
      [T],
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    let value: unknown;
    await eventually('a call to succeed after reconnecting', async () => {
      try {
        value = (await read('conn-k'))?.value;
        return true;
      } catch {
        return false;
      }
    });
    expect(value).toBe('before');
    await store.ping();
  });
});
