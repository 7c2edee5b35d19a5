import type { Client } from 'pg';
import { PostgresStateStore } from '../../libs/dapr/src/components/postgresql/postgresql.state-store';
import { dropTables, pgComponent, rawClient, uniqueTables } from './postgresql-support';

/** Sharing a database with Dapr: its migrations, its existing tables, concurrent starters. */
describe('state.postgresql migrations', () => {
  let raw: Client;
  const created: string[] = [];

  beforeAll(async () => {
    raw = await rawClient();
  });

  afterAll(async () => {
    await dropTables(raw, ...created);
    await raw.end();
  });

  function tables(label: string) {
    const t = uniqueTables(label);
    created.push(t.tableName, t.metadataTableName);
    return t;
  }

  it('upgrades a table an older Dapr created (level 2) and keeps its rows and ETags', async () => {
    const t = tables('mig');
    // What Dapr 1.1x leaves behind: migrations 0 and 1 only.
    await raw.query(`CREATE TABLE ${t.metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
    await raw.query(`INSERT INTO ${t.metadataTableName} (key, value) VALUES ('migrations', '2')`);
    await raw.query(`CREATE TABLE ${t.tableName} (
      key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL,
      insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL)`);
    await raw.query(`ALTER TABLE ${t.tableName} ADD expiredate TIMESTAMP WITH TIME ZONE`);
    await raw.query(`INSERT INTO ${t.tableName} (key, value, isbinary, insertdate) VALUES
      ('app||b', '"second"', false, now() - interval '1 minute'), ('app||a', '"first"', false, now() - interval '2 minutes')`);

    const store = new PostgresStateStore();
    await store.init(pgComponent({ ...t, cleanupInterval: '0' }));
    try {
      const level = await raw.query(`SELECT value FROM ${t.metadataTableName} WHERE key = 'migrations'`);
      expect(level.rows[0].value).toBe('3');
      const rows = await raw.query(`SELECT key, row_id::int AS row_id FROM ${t.tableName} ORDER BY row_id`);
      // Backfilled in insertion order.
      expect(rows.rows).toEqual([
        { key: 'app||a', row_id: 1 },
        { key: 'app||b', row_id: 2 },
      ]);
      const a = await store.get({ key: 'app||a', metadata: {} });
      expect(Buffer.from(a!.data).toString()).toBe('"first"');
      expect(a!.etag).toBeDefined();
      // A new row continues the identity after the backfilled ones.
      await store.set({ key: 'app||c', value: Buffer.from('1'), isBinary: false, metadata: {} });
      const c = await raw.query(`SELECT row_id::int AS r FROM ${t.tableName} WHERE key = 'app||c'`);
      expect(c.rows[0].r).toBe(3);
      // The ETag read after the upgrade is the one that matches.
      expect(a!.etag).toBe((await raw.query(`SELECT xmin::text AS x FROM ${t.tableName} WHERE key = 'app||a'`)).rows[0].x);
      await store.set({ key: 'app||a', value: Buffer.from('"updated"'), isBinary: false, metadata: {}, etag: a!.etag });
    } finally {
      await store.close();
    }
  });

  it('does nothing on a second start, and two processes starting at once both succeed', async () => {
    const t = tables('race');
    const props = { ...t, cleanupInterval: '-1' };
    const stores = [new PostgresStateStore(), new PostgresStateStore(), new PostgresStateStore()];
    try {
      await Promise.all(stores.map((s) => s.init(pgComponent(props))));
      const again = new PostgresStateStore();
      stores.push(again);
      await again.init(pgComponent(props));
      const level = await raw.query(`SELECT value FROM ${t.metadataTableName} WHERE key = 'migrations'`);
      expect(level.rows[0].value).toBe('3');
      await stores[0].set({ key: 'k', value: Buffer.from('1'), isBinary: false, metadata: {} });
      expect(Buffer.from((await again.get({ key: 'k', metadata: {} }))!.data).toString()).toBe('1');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('starters racing to create the metadata table all succeed: one holding it uncommitted, then many at once', async () => {
    // Another session has created the metadata table but not committed yet: the starters' CREATE TABLE
    // IF NOT EXISTS waits on it and then collides with it (23505), which is retried.
    const held = tables('held');
    const other = await rawClient();
    const stores: PostgresStateStore[] = [];
    try {
      await other.query('BEGIN');
      await other.query(`CREATE TABLE ${held.metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      const starting = [0, 1, 2].map(() => {
        const s = new PostgresStateStore();
        stores.push(s);
        return s.init(pgComponent({ ...held, cleanupInterval: '-1' }));
      });
      await new Promise((r) => setTimeout(r, 300));
      await other.query('COMMIT');
      await Promise.all(starting);
      const level = await raw.query(`SELECT value FROM ${held.metadataTableName} WHERE key = 'migrations'`);
      expect(level.rows[0].value).toBe('3');
    } finally {
      await other.end();
      await Promise.all(stores.splice(0).map((s) => s.close()));
    }
    // Many starters on fresh tables, several rounds: the other answers of a lost creation race
    // (42710 "type already exists", 42P07) are retried too.
    for (let round = 0; round < 4; round++) {
      const t = tables(`many${round}`);
      const many = Array.from({ length: 8 }, () => new PostgresStateStore());
      try {
        const results = await Promise.allSettled(many.map((s) => s.init(pgComponent({ ...t, cleanupInterval: '-1' }))));
        expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      } finally {
        await Promise.all(many.map((s) => s.close()));
      }
    }
  }, 60_000);

  it('creates each table when two components with different tables share one metadata table', async () => {
    const a = tables('two_a');
    const b = tables('two_b');
    const shared = a.metadataTableName;
    const first = new PostgresStateStore();
    const second = new PostgresStateStore();
    try {
      await first.init(pgComponent({ tableName: a.tableName, metadataTableName: shared, cleanupInterval: '0' }));
      // Dapr v1 records one level per metadata table: "3" is already there when the second table starts.
      await second.init(pgComponent({ tableName: b.tableName, metadataTableName: shared, cleanupInterval: '0' }));
      await first.set({ key: 'k', value: Buffer.from('"a"'), isBinary: false, metadata: {} });
      await second.set({ key: 'k', value: Buffer.from('"b"'), isBinary: false, metadata: {} });
      expect(Buffer.from((await first.get({ key: 'k', metadata: {} }))!.data).toString()).toBe('"a"');
      expect(Buffer.from((await second.get({ key: 'k', metadata: {} }))!.data).toString()).toBe('"b"');
      const idx = await raw.query(`SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [b.tableName]);
      expect(idx.rows.map((r) => r.indexname)).toEqual([`${b.tableName}_pkey`, `${b.tableName}_row_id_uidx`]);
      const level = await raw.query(`SELECT value FROM ${shared} WHERE key = 'migrations'`);
      expect(level.rows[0].value).toBe('3');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('fails init with the driver error when the server is unreachable, leaving nothing open', async () => {
    const store = new PostgresStateStore();
    await expect(
      store.init(pgComponent({ connectionString: 'host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=2' })),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
    // Closing a store whose init failed (as the runtime may) is harmless, twice too.
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
