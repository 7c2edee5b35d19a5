/**
 * `state.postgresql` through StateService shares its table with Dapr sidecar
 * apps: rows written in Dapr's v1 layout by plain SQL read back with their
 * `xmin` ETag, and what StateService saves is what Dapr's queries read. Also:
 * losing the database fails the call with a typed error wrapping the driver's,
 * and the next call after the database is back succeeds.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Client } from 'pg';
import { DaprModule, ETagInvalidError, ETagMismatchError, StateService, StateStoreError } from 'nest-dapr';
import { TcpProxy } from '../observability/tcp-proxy';
import { dropTables, eventually, PG_URL, rawClient, uniqueTables } from './postgresql-support';

const APP = 'pg-interop';

async function boot(connectionString: string, tables: { tableName: string; metadataTableName: string }): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DaprModule.forRoot({
        appId: APP,
        components: [{ name: 'pg', type: 'state.postgresql', metadata: { connectionString, ...tables, timeout: '5s' } }],
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('state.postgresql interop with Dapr v1 tables', () => {
  const tables = uniqueTables('interop');
  const T = tables.tableName;
  let raw: Client;
  let app: INestApplication;
  let state: StateService;
  const xmin = async (key: string) => (await raw.query(`SELECT xmin::text AS x FROM ${T} WHERE key = $1`, [key])).rows[0]?.x;

  beforeAll(async () => {
    raw = await rawClient();
    app = await boot(PG_URL, tables);
    state = app.get(StateService);
  });

  afterAll(async () => {
    await app?.close();
    await dropTables(raw, T, tables.metadataTableName);
    await raw.end();
  });

  it('reads rows Dapr wrote, under the app-id key prefix, with xmin as the ETag', async () => {
    await raw.query(`INSERT INTO ${T} (key, value, isbinary) VALUES ($1, $2, false), ($3, $4, false), ($5, $6, true)`, [
      `${APP}||order`,
      '{"id": 7, "lines": [{"sku": "a", "qty": 2}]}',
      `${APP}||greeting`,
      '"hello"',
      `${APP}||blob`,
      JSON.stringify(Buffer.from('raw bytes').toString('base64')),
    ]);
    const order = await state.getItem('pg', 'order');
    expect(order).toEqual({ key: 'order', value: { id: 7, lines: [{ sku: 'a', qty: 2 }] }, etag: await xmin(`${APP}||order`) });
    expect(await state.get('pg', 'greeting')).toBe('hello');
    const blob = await state.get<Buffer>('pg', 'blob');
    expect(Buffer.isBuffer(blob) && blob.toString()).toBe('raw bytes');

    // Dapr's ETag works for an update through StateService, and a stale one does not.
    await state.save('pg', { key: 'order', value: { id: 7, lines: [] }, etag: order!.etag });
    await expect(state.save('pg', { key: 'order', value: { id: 8 }, etag: order!.etag })).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(state.save('pg', { key: 'order', value: { id: 8 }, etag: 'W/"abc"' })).rejects.toBeInstanceOf(ETagInvalidError);
    const row = await raw.query(`SELECT value, isbinary, updatedate FROM ${T} WHERE key = $1`, [`${APP}||order`]);
    expect(row.rows[0].value).toEqual({ id: 7, lines: [] });
    expect(row.rows[0].isbinary).toBe(false);
    expect(row.rows[0].updatedate).toBeInstanceOf(Date);
  });

  it('reads a value a gRPC SDK saved (isbinary=true, base64 of JSON bytes) as the @dapr/dapr client does: parsed', async () => {
    // Dapr's gRPC SaveState keeps the value as bytes unless contentType=application/json
    // (dapr/dapr pkg/api/grpc), and state.postgresql v1 stores []byte as a base64 JSON string
    // with isbinary=true (components-contrib common/component/postgresql/v1/postgresql.go).
    const json = Buffer.from(JSON.stringify({ orderId: 7, items: ['a'] }));
    await raw.query(`INSERT INTO ${T} (key, value, isbinary) VALUES ($1, $2, true), ($3, $4, true)`, [
      `${APP}||grpc-order`,
      JSON.stringify(json.toString('base64')),
      `${APP}||grpc-opaque`,
      JSON.stringify(Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64')),
    ]);
    await expect(state.get('pg', 'grpc-order')).resolves.toEqual({ orderId: 7, items: ['a'] });
    const bulk = await state.getBulk('pg', ['grpc-order', 'grpc-opaque']);
    expect(bulk[0].value).toEqual({ orderId: 7, items: ['a'] });
    expect([...(bulk[1].value as Buffer)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('saves in the layout Dapr reads: jsonb values, base64 bytes, expiredate for a TTL', async () => {
    await state.save<unknown>('pg', [
      { key: 'doc', value: { total: 12.5, tags: ['x', 'y'] } },
      { key: 'text', value: 'plain string' },
      { key: 'bytes', value: Buffer.from([0, 1, 254, 255]) },
      { key: 'ttl', value: 1, metadata: { ttlInSeconds: '120' } },
    ]);
    const rows = await raw.query(
      `SELECT key, value, isbinary, expiredate IS NOT NULL AS expires,
              (EXTRACT(epoch FROM expiredate - now()))::int AS ttl
         FROM ${T} WHERE key = ANY($1) ORDER BY key`,
      [['doc', 'text', 'bytes', 'ttl'].map((k) => `${APP}||${k}`)],
    );
    expect(rows.rows.map(({ ttl, ...r }) => ({ ...r, ttlOk: ttl === null || (ttl > 110 && ttl <= 120) }))).toEqual([
      { key: `${APP}||bytes`, value: Buffer.from([0, 1, 254, 255]).toString('base64'), isbinary: true, expires: false, ttlOk: true },
      { key: `${APP}||doc`, value: { total: 12.5, tags: ['x', 'y'] }, isbinary: false, expires: false, ttlOk: true },
      { key: `${APP}||text`, value: 'plain string', isbinary: false, expires: false, ttlOk: true },
      { key: `${APP}||ttl`, value: 1, isbinary: false, expires: true, ttlOk: true },
    ]);
    const item = await state.getItem('pg', 'ttl');
    expect(Math.abs(Date.parse(item!.metadata!.ttlExpireTime) - (Date.now() + 120_000))).toBeLessThan(5000);
  });

  it('a lost database fails the call with a wrapped driver error; the next call after it is back succeeds', async () => {
    const proxy = new TcpProxy('127.0.0.1', 5432);
    await proxy.start();
    const viaProxy = await boot(`postgres://postgres@127.0.0.1:${proxy.port}/test`, tables);
    try {
      const svc = viaProxy.get(StateService);
      await svc.save('pg', { key: 'conn', value: 'up' });
      await proxy.stop();
      const err = await svc.get('pg', 'conn').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateStoreError);
      expect((err as StateStoreError).errorCode).toBe('ERR_STATE_GET');
      expect((err as StateStoreError).cause).toBeInstanceOf(Error);
      await proxy.start();
      let value: unknown;
      await eventually('a get to succeed once the database is reachable again', async () => {
        value = await svc.get('pg', 'conn').catch(() => undefined);
        return value !== undefined;
      });
      expect(value).toBe('up');
    } finally {
      await viaProxy.close();
      await proxy.stop();
    }
  });
});
