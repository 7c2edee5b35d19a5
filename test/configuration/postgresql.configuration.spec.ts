import { Client } from 'pg';
import type { TestingModule } from '@nestjs/testing';
import {
  ComponentInitError,
  ConfigurationGetError,
  ConfigurationService,
  ConfigurationSubscribeError,
} from 'nest-dapr';
import { bootConfigurationApp, UpdateLog } from './configuration-test-app';
import { eventually, PrivatePostgres } from './private-servers';

/** Dapr's documented table and trigger (docs: PostgreSQL configuration store), on channel `config`. */
const SETUP = `
CREATE TABLE IF NOT EXISTS configtable (KEY VARCHAR NOT NULL, VALUE VARCHAR NOT NULL, VERSION VARCHAR NOT NULL, METADATA JSON);
CREATE OR REPLACE FUNCTION configuration_event() RETURNS TRIGGER AS $$
    DECLARE
        data json;
        notification json;
    BEGIN
        IF (TG_OP = 'DELETE') THEN
            data = row_to_json(OLD);
        ELSE
            data = row_to_json(NEW);
        END IF;
        notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
        PERFORM pg_notify('config', notification::text);
        RETURN NULL;
    END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER config AFTER INSERT OR UPDATE OR DELETE ON configtable FOR EACH ROW EXECUTE PROCEDURE configuration_event();
`;

/**
 * configuration.postgresql against a PostgreSQL cluster of this suite's own
 * (initdb + pg_ctl on a free port): the restart test stops it, which the
 * shared server must never see.
 */
describe('configuration.postgresql (private PostgreSQL)', () => {
  let server: PrivatePostgres;
  let raw: Client;
  let app: TestingModule;
  let config: ConfigurationService;

  const connectRaw = async () => {
    const c = new Client({ connectionString: server.url });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    server = await PrivatePostgres.start();
    raw = await connectRaw();
    await raw.query(SETUP);
    app = await bootConfigurationApp([
      { name: 'config', type: 'configuration.postgresql', metadata: { connectionString: server.url, table: 'configtable' } },
      { name: 'pinned', type: 'configuration.postgresql', metadata: { connectionString: server.url, table: 'configtable', notifyChannel: 'config' } },
    ]);
    config = app.get(ConfigurationService);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await raw?.end().catch(() => undefined);
    await server?.stop();
  });

  const upsert = (key: string, value: string, version: string, metadata?: object) =>
    raw.query('INSERT INTO configtable (key, value, version, metadata) VALUES ($1, $2, $3, $4)', [key, value, version, metadata ? JSON.stringify(metadata) : null]);

  it('get reads Dapr\'s table: the highest numeric version per key wins, metadata as strings, every row when no keys are given', async () => {
    await upsert('app.timeout', '30', '1', { units: 'seconds', max: 60 });
    await upsert('app.timeout', '45', '3');
    await upsert('app.timeout', '40', '2');
    await upsert('app.theme', 'dark', 'v1.0');
    const res = await config.get('config', ['app.timeout', 'app.theme', 'app.missing']);
    expect(res.items).toEqual({
      'app.timeout': { key: 'app.timeout', value: '45', version: '3', metadata: {} },
      'app.theme': { key: 'app.theme', value: 'dark', version: 'v1.0', metadata: {} },
    });
    await raw.query("DELETE FROM configtable WHERE key = 'app.timeout' AND version <> '1'");
    expect((await config.get('config', ['app.timeout'])).items['app.timeout']).toEqual({
      key: 'app.timeout',
      value: '30',
      version: '1',
      metadata: { units: 'seconds', max: '60' },
    });
    const all = await config.get('config');
    expect(Object.keys(all.items).sort()).toEqual(['app.theme', 'app.timeout']);
  });

  it('refuses keys Dapr refuses, and a table that does not exist at start-up', async () => {
    await expect(config.get('config', ["x'; drop table configtable; --"])).rejects.toThrow(ConfigurationGetError);
    await expect(config.get('config', ['bad key'])).rejects.toThrow(/invalid key : 'bad key'/);
    await expect(
      bootConfigurationApp([{ name: 'c', type: 'configuration.postgresql', metadata: { connectionString: server.url, table: 'nosuchtable' } }]),
    ).rejects.toThrow(ComponentInitError);
    await expect(
      bootConfigurationApp([{ name: 'c', type: 'configuration.postgresql', metadata: { connectionString: server.url, table: 'Upper' } }]),
    ).rejects.toThrow(/upper cased/);
  });

  it('subscribe needs a channel (component notifyChannel or the request\'s pgNotifyChannel) and reports the rows the trigger notifies', async () => {
    await expect(config.subscribe('config', ['feat.a'], () => undefined)).rejects.toThrow(ConfigurationSubscribeError);
    await expect(config.subscribe('config', ['feat.a'], () => undefined)).rejects.toThrow(/notifyChannel must be set/);

    const log = new UpdateLog();
    const sub = await config.subscribe('config', ['feat.a', 'feat.b'], log.handler, { pgNotifyChannel: 'config' });
    const pinned = new UpdateLog();
    const all = await config.subscribe('pinned', [], pinned.handler);
    await upsert('feat.a', 'on', '1', { owner: 'team-a' });
    await upsert('feat.other', 'x', '1');
    await raw.query("UPDATE configtable SET value = 'off', version = '2' WHERE key = 'feat.a'");
    await eventually('the insert and the update', () => log.of('feat.a').length >= 2);
    expect(log.of('feat.a')).toEqual([
      { key: 'feat.a', value: 'on', version: '1', metadata: { owner: 'team-a' } },
      { key: 'feat.a', value: 'off', version: '2', metadata: { owner: 'team-a' } },
    ]);
    await eventually('every key on the pinned store', () => pinned.of('feat.other').length === 1 && pinned.of('feat.a').length === 2);
    expect(log.updates.some((u) => 'feat.other' in u)).toBe(false);
    await sub.unsubscribe();
    await all.unsubscribe();
    const seen = log.updates.length;
    await upsert('feat.b', 'late', '1');
    await new Promise((r) => setTimeout(r, 500));
    expect(log.updates.length).toBe(seen);
  });

  it('a subscription survives a restart of the server: it reconnects, LISTENs again and reports what changed while it was away', async () => {
    const log = new UpdateLog();
    await config.subscribe('pinned', ['rs.a', 'rs.b'], log.handler);
    await upsert('rs.a', 'before', '1');
    await eventually('the first update', () => log.last('rs.a')?.value === 'before');

    await server.down();
    await server.up();
    await raw.end().catch(() => undefined);
    raw = await connectRaw();
    // Nobody listens yet (the store backs off before reconnecting): this NOTIFY reaches no one.
    const listeners = await raw.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'");
    await upsert('rs.b', 'during', '1');
    await raw.query("UPDATE configtable SET value = 'changed', version = '2' WHERE key = 'rs.a'");

    await eventually('the re-read after the restart', () => log.last('rs.b')?.value === 'during' && log.last('rs.a')?.value === 'changed', 60_000);
    expect(log.last('rs.b')).toEqual({ key: 'rs.b', value: 'during', version: '1', metadata: {} });

    await raw.query("UPDATE configtable SET value = 'after', version = '3' WHERE key = 'rs.a'");
    await eventually('a live notification after the restart', () => log.last('rs.a')?.value === 'after', 30_000);
    process.stdout.write(`postgres restart: LISTEN connections when the changes were written: ${listeners.rows[0].n}\n`);

    // Decisively: the LISTEN connection dies and cannot come back until the database accepts connections
    // again; what is written meanwhile notifies nobody, so only the re-read can report it.
    const admin = new Client({ connectionString: server.url.replace(/\/postgres$/, '/template1') });
    await admin.connect();
    await admin.query('ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false');
    try {
      const killed = await raw.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query ILIKE 'LISTEN %' AND pid <> pg_backend_pid()");
      expect(killed.rows.length).toBeGreaterThan(0);
      await eventually('the LISTEN connection to be gone', async () => (await raw.query("SELECT 1 FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'")).rowCount === 0);
      const before = log.updates.length;
      await raw.query("UPDATE configtable SET value = 'unheard', version = '4' WHERE key = 'rs.a'");
      await new Promise((r) => setTimeout(r, 500));
      expect(log.updates.length).toBe(before);
    } finally {
      await admin.query('ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true');
      await admin.end();
    }
    await eventually('the re-read after the reconnect', () => log.last('rs.a')?.value === 'unheard', 60_000);
    expect(log.last('rs.a')).toEqual({ key: 'rs.a', value: 'unheard', version: '4', metadata: {} });
  }, 180_000);
});
