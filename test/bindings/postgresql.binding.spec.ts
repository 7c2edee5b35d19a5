import { Client } from 'pg';
import type { TestingModule } from '@nestjs/testing';
import { BindingRequestError, BindingsService } from 'nest-dapr';
import { bootBindingsApp, uniqueSuffix } from './bindings-test-app';

const CONN = 'host=127.0.0.1 port=5432 user=postgres dbname=test';

describe('bindings.postgresql (real PostgreSQL)', () => {
  const table = `bind_${uniqueSuffix()}`;
  let raw: Client;
  let app: TestingModule;
  let bindings: BindingsService;

  beforeAll(async () => {
    raw = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await raw.connect();
    app = await bootBindingsApp([
      { name: 'db', type: 'bindings.postgresql', metadata: { connectionString: CONN } },
      { name: 'db2', type: 'bindings.postgresql', metadata: { connectionString: 'postgres://postgres@127.0.0.1:5432/test' } },
    ]);
    bindings = app.get(BindingsService);
  });
  afterAll(async () => {
    await raw.query(`DROP TABLE IF EXISTS ${table}`);
    await raw.end();
    await app?.close();
  });

  it('exec runs DDL/DML with params and reports rows-affected and timing metadata', async () => {
    const ddl = await bindings.invoke('db', 'exec', undefined, { sql: `CREATE TABLE ${table} (id int PRIMARY KEY, name text, ts timestamptz DEFAULT now())` });
    expect(ddl.data).toBeUndefined();
    expect(ddl.metadata).toMatchObject({ operation: 'exec', 'rows-affected': '0' });
    const ins = await bindings.invoke('db', 'exec', undefined, {
      sql: `INSERT INTO ${table} (id, name) VALUES ($1, $2), ($3, $4)`,
      params: JSON.stringify([1, 'alice', 2, 'bob']),
    });
    expect(ins.metadata['rows-affected']).toBe('2');
    expect(ins.metadata.sql).toContain('INSERT INTO');
    expect(new Date(ins.metadata['start-time']).getTime()).toBeLessThanOrEqual(new Date(ins.metadata['end-time']).getTime());
    expect(ins.metadata.duration).toMatch(/^[\d.]+(ns|µs|ms|s)$/);
  });

  it('query returns rows as arrays of column values (Dapr shape)', async () => {
    const res = await bindings.invoke<unknown[][]>('db2', 'query', undefined, {
      sql: `SELECT id, name FROM ${table} WHERE id >= $1 ORDER BY id`,
      params: '[1]',
    });
    expect(res.data).toEqual([
      [1, 'alice'],
      [2, 'bob'],
    ]);
    expect(res.metadata.operation).toBe('query');
    const none = await bindings.invoke('db', 'query', undefined, { sql: `SELECT id FROM ${table} WHERE id = $1`, params: '[999]' });
    expect(none.data).toBeNull();
  });

  it('SQL injection through params changes nothing', async () => {
    const attacks = [`alice'; DROP TABLE ${table}; --`, `' OR '1'='1`, `1; DELETE FROM ${table}`];
    for (const evil of attacks) {
      const found = await bindings.invoke('db', 'query', undefined, { sql: `SELECT id FROM ${table} WHERE name = $1`, params: JSON.stringify([evil]) });
      expect(found.data).toBeNull();
      const upd = await bindings.invoke('db', 'exec', undefined, { sql: `UPDATE ${table} SET name = 'x' WHERE name = $1`, params: JSON.stringify([evil]) });
      expect(upd.metadata['rows-affected']).toBe('0');
    }
    await bindings.invoke('db', 'exec', undefined, { sql: `INSERT INTO ${table} (id, name) VALUES ($1, $2)`, params: JSON.stringify([3, `x'); DROP TABLE ${table}; --`]) });
    const { rows } = await raw.query(`SELECT id, name FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'alice' },
      { id: 2, name: 'bob' },
      { id: 3, name: `x'); DROP TABLE ${table}; --` },
    ]);
  });

  it('rejects a request without sql or with params that are not a JSON array', async () => {
    await expect(bindings.invoke('db', 'exec')).rejects.toThrow(BindingRequestError);
    await expect(bindings.invoke('db', 'query', undefined, { sql: 'SELECT $1', params: '{"a":1}' })).rejects.toThrow(/JSON array/);
    await expect(bindings.invoke('db', 'query', undefined, { sql: 'SELECT $1', params: 'nope' })).rejects.toThrow(/not valid JSON/);
  });

  it('close releases the pool; later calls fail cleanly', async () => {
    await bindings.invoke('db2', 'close');
    await expect(bindings.invoke('db2', 'query', undefined, { sql: 'SELECT 1' })).rejects.toThrow(/closed/);
  });
});
