/**
 * `state.sqlite` keeps Dapr's SQLite layout, so a Dapr sidecar can open the
 * same file: the `state` table columns, the `metadata` table with the
 * migration level, WAL journal, base64 for bytes, UUID ETags, and expired
 * rows deleted by the periodic cleanup.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, StateService } from 'nest-dapr';
import { waitFor } from './state-conformance';

describe('state.sqlite storage layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-sqlite-layout-'));
  const file = join(dir, 'nested', 'state.db');
  let app: INestApplication;
  let state: StateService;
  let raw: Database.Database;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'layout',
          components: [
            {
              name: 'store',
              type: 'state.sqlite',
              metadata: { connectionString: `file:${file}?_pragma=busy_timeout(2000)`, cleanupInterval: '200ms' },
            },
          ],
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    state = app.get(StateService);
    raw = new Database(file, { readonly: true });
  });

  afterAll(async () => {
    raw?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates Dapr's state and metadata tables in WAL mode", () => {
    const cols = (raw.prepare(`PRAGMA table_info(state)`).all() as { name: string; type: string; notnull: number; pk: number }[]).map(
      (c) => [c.name, c.type, c.notnull, c.pk],
    );
    expect(cols).toEqual([
      ['key', 'TEXT', 1, 1],
      ['value', 'TEXT', 1, 0],
      ['is_binary', 'BOOLEAN', 1, 0],
      ['etag', 'TEXT', 1, 0],
      ['expiration_time', 'TIMESTAMP', 0, 0],
      ['update_time', 'TIMESTAMP', 1, 0],
    ]);
    expect(raw.prepare(`SELECT value FROM metadata WHERE key = 'migrations'`).get()).toEqual({ value: '1' });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('stores JSON text, base64 bytes with is_binary, UUID etags and the expiry', async () => {
    await state.save<unknown>('store', [
      { key: 'json', value: { a: 'b' } },
      { key: 'bytes', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
      { key: 'ttl', value: 1, metadata: { ttlInSeconds: '3600' } },
    ]);
    const row = (k: string) =>
      raw.prepare(`SELECT value, is_binary, etag, expiration_time FROM state WHERE key = ?`).get(`layout||${k}`) as {
        value: string;
        is_binary: number;
        etag: string;
        expiration_time: string | null;
      };
    expect(row('json')).toMatchObject({ value: '{"a":"b"}', is_binary: 0, expiration_time: null });
    expect(row('json').etag).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row('bytes')).toMatchObject({ value: '3q2+7w==', is_binary: 1 });
    expect(row('ttl').expiration_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const item = await state.getItem('store', 'ttl');
    const expires = Date.parse(item!.metadata!.ttlExpireTime);
    expect(Math.abs(expires - (Date.now() + 3600_000))).toBeLessThan(5000);
  });

  it('reads a value a gRPC SDK saved (is_binary=1, base64 of JSON bytes) as the @dapr/dapr client does: parsed', async () => {
    // components-contrib state/sqlite stores []byte values base64-encoded with is_binary = 1.
    const writer = new Database(file);
    try {
      writer
        .prepare(`INSERT INTO state (key, value, is_binary, etag) VALUES (?, ?, 1, ?)`)
        .run('layout||grpc', Buffer.from('{"n":1,"s":"x"}').toString('base64'), '22222222-2222-3333-4444-555555555555');
    } finally {
      writer.close();
    }
    await expect(state.getItem('store', 'grpc')).resolves.toEqual({ key: 'grpc', value: { n: 1, s: 'x' }, etag: '22222222-2222-3333-4444-555555555555' });
  });

  it('reads rows a Dapr sidecar wrote, and the cleanup deletes expired rows', async () => {
    const writer = new Database(file);
    try {
      writer
        .prepare(`INSERT INTO state (key, value, is_binary, etag) VALUES (?, ?, ?, ?)`)
        .run('layout||from-dapr', '"hi"', 0, '11111111-2222-3333-4444-555555555555');
      writer
        .prepare(
          `INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES (?, ?, 0, 'e', DATETIME(CURRENT_TIMESTAMP, '-1 seconds'))`,
        )
        .run('layout||expired', '1');
    } finally {
      writer.close();
    }
    await expect(state.getItem('store', 'from-dapr')).resolves.toEqual({
      key: 'from-dapr',
      value: 'hi',
      etag: '11111111-2222-3333-4444-555555555555',
    });
    await expect(state.get('store', 'expired')).resolves.toBeUndefined();
    // Hidden from reads at once; physically gone after the next cleanup round.
    const expiredRows = () => (raw.prepare(`SELECT count(*) AS n FROM state WHERE key = 'layout||expired'`).get() as { n: number }).n;
    await waitFor(async () => expiredRows() === 0, 5000);
    expect(raw.prepare(`SELECT key FROM metadata WHERE key = 'last-cleanup'`).get()).toEqual({ key: 'last-cleanup' });
  });
});
