import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { InvocationService } from 'nest-dapr';
import { NameResolutionService } from '../../libs/dapr/src/invocation/name-resolution.service';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, sqliteResolution, startApp, until, type RunningApp } from './invocation-harness';

/** nameresolution.sqlite: registration, heartbeats, load balancing, stale instances, deregistration. */
describe('nameresolution.sqlite', () => {
  const nr = sqliteResolution();
  let a: RunningApp;
  let b: RunningApp;
  let order: RunningApp;
  let inv: InvocationService;
  let db: Database.Database;

  beforeAll(async () => {
    a = await startApp({ appId: 'checkout', apiToken: API_TOKEN, nameResolution: nr.options }, { controllers: [CheckoutController] });
    b = await startApp({ appId: 'checkout', apiToken: API_TOKEN, nameResolution: nr.options }, { controllers: [CheckoutController] });
    order = await startApp({ appId: 'order', apiToken: API_TOKEN, nameResolution: nr.options });
    inv = order.app.get(InvocationService);
    db = new Database(nr.file);
  });

  afterAll(async () => {
    db?.close();
    for (const app of [order, b, a]) await app?.close();
    nr.cleanup();
  });

  const hitsOf = (app: RunningApp) => app.app.get(CheckoutController).hits.stock ?? 0;

  it("stores Dapr's hosts row for each listening app", () => {
    const rows = db.prepare('SELECT address, app_id, namespace, last_update FROM hosts ORDER BY app_id, address').all() as {
      address: string;
      app_id: string;
      last_update: number;
    }[];
    expect(rows.map((r) => r.app_id)).toEqual(['checkout', 'checkout', 'order']);
    expect(rows.map((r) => r.address)).toEqual(expect.arrayContaining([a.url, b.url, order.url]));
    for (const r of rows) expect(Math.abs(r.last_update - Date.now() / 1000)).toBeLessThan(5);
  });

  it('spreads calls across the live instances', async () => {
    for (let i = 0; i < 40; i++) await inv.invoke('checkout', `stock/${i}`);
    expect(hitsOf(a) + hitsOf(b)).toBe(40);
    expect(hitsOf(a)).toBeGreaterThan(0);
    expect(hitsOf(b)).toBeGreaterThan(0);
  });

  it('never chooses an instance whose heartbeat is stale', async () => {
    // A crashed instance: its row stays, but its heartbeat stopped an hour ago (and nothing listens there).
    db.prepare("INSERT INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES ('dead-1', 'http://127.0.0.1:1', 'checkout', '', unixepoch() - 3600)").run();
    // Instance b stops heartbeating too: age its row.
    db.prepare('UPDATE hosts SET last_update = unixepoch() - 3600 WHERE address = ?').run(b.url);
    const before = hitsOf(b);
    for (let i = 0; i < 30; i++) await expect(inv.invoke('checkout', `stock/${i}`)).resolves.toMatchObject({ sku: String(i) });
    expect(hitsOf(b)).toBe(before);
    // Its next heartbeat brings it back.
    db.prepare('UPDATE hosts SET last_update = unixepoch() WHERE address = ?').run(b.url);
  });

  it('deregisters on shutdown, so calls go to the remaining instance', async () => {
    const names = b.app.get(NameResolutionService);
    expect(names.address).toBe(b.url);
    await b.close();
    const left = db.prepare("SELECT address FROM hosts WHERE app_id = 'checkout' AND unixepoch() - last_update < 5").all();
    expect(left).toEqual([{ address: a.url }]);
    const before = hitsOf(a);
    for (let i = 0; i < 10; i++) await inv.invoke('checkout', 'stock/after');
    expect(hitsOf(a)).toBe(before + 10);
  });

  it('keeps the registration fresh with heartbeats', async () => {
    // Push a's row back 3 s; with updateInterval 2s and timeout 1s the app refreshes it every second.
    const fast = sqliteResolution();
    const app = await startApp({ appId: 'beat', nameResolution: { component: 'sqlite', configuration: { connectionString: fast.file, updateInterval: '2s', timeout: '1s' } } });
    const conn = new Database(fast.file);
    try {
      conn.prepare('UPDATE hosts SET last_update = unixepoch() - 3').run();
      const age = () => (conn.prepare("SELECT unixepoch() - last_update AS age FROM hosts WHERE app_id = 'beat'").get() as { age: number }).age;
      await until(() => age() <= 1, 'the heartbeat to refresh last_update', 3000);
    } finally {
      conn.close();
      await app.close();
      fast.cleanup();
    }
  });

  it("creates the tables as Dapr's migration does (version nr-migrations in the metadata table)", () => {
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'nr-migrations'").get()).toEqual({ value: '1' });
    const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hosts' AND sql IS NOT NULL ORDER BY name").all();
    expect(indexes).toEqual([
      { name: 'hosts_address_idx', sql: expect.stringMatching(/^CREATE UNIQUE INDEX hosts_address_idx ON hosts \(address\)$/) },
      { name: 'hosts_last_update_idx', sql: expect.stringMatching(/^CREATE INDEX hosts_last_update_idx ON hosts \(last_update\)$/) },
    ]);
  });

  it('shares a file a Dapr sidecar created first, with custom table names', async () => {
    const shared = sqliteResolution();
    // What Dapr's migration leaves (sqlite_migrations.go + the common SQLite migrator), then a sidecar's row.
    const dapr = new Database(shared.file);
    dapr.exec(`CREATE TABLE IF NOT EXISTS nr_meta (key text NOT NULL PRIMARY KEY, value text NOT NULL);
      CREATE TABLE nr_hosts (registration_id TEXT NOT NULL PRIMARY KEY, address TEXT NOT NULL, app_id TEXT NOT NULL, namespace TEXT NOT NULL, last_update INTEGER NOT NULL);
      CREATE UNIQUE INDEX nr_hosts_address_idx ON nr_hosts (address);
      CREATE INDEX nr_hosts_last_update_idx ON nr_hosts (last_update);
      REPLACE INTO nr_meta (key, value) VALUES ('nr-migrations', '1');
      INSERT INTO nr_hosts VALUES ('dapr-1', '127.0.0.1:50002', 'sidecar-app', '', unixepoch(CURRENT_TIMESTAMP));`);
    const configuration = { connectionString: shared.file, tableName: 'nr_hosts', metadataTableName: 'nr_meta' };
    const app = await startApp({ appId: 'joiner', nameResolution: { component: 'sqlite', configuration } });
    try {
      expect(dapr.prepare('SELECT app_id FROM nr_hosts ORDER BY app_id').all()).toEqual([{ app_id: 'joiner' }, { app_id: 'sidecar-app' }]);
      expect(dapr.prepare('SELECT key, value FROM nr_meta').all()).toEqual([{ key: 'nr-migrations', value: '1' }]);
    } finally {
      await app.close();
      dapr.close();
      shared.cleanup();
    }
  });

  it("reads nameResolution.configuration through the declared schema: Dapr's checks and aliases, errors name the field", async () => {
    const bad = sqliteResolution();
    const start = (configuration: Record<string, unknown>) =>
      startApp({ appId: 'bad-nr', nameResolution: { component: 'sqlite', configuration: { connectionString: bad.file, ...configuration } } });
    try {
      await expect(start({ updateInterval: '1500ms' })).rejects.toThrow(/metadata "updateInterval" must not contain fractions of seconds/);
      await expect(start({ timeoutInSeconds: '0' })).rejects.toThrow(/metadata "timeout" must be at least 1s/);
      await expect(start({ updateInterval: 2, timeout: 2 })).rejects.toThrow(/"updateInterval" must be at least 1s greater than timeout/);
      await expect(start({ tableName: 'hosts; DROP TABLE x' })).rejects.toThrow(/"tableName" "hosts; DROP TABLE x" is not a valid identifier/);
      await expect(start({ cleanupInterval: 'soon' })).rejects.toThrow(/"cleanupInterval"/);
      // Nothing was opened for the refused configurations.
      expect(existsSync(bad.file)).toBe(false);
      // `url` is Dapr's alias of connectionString; YAML numbers are durations in seconds, as kitmd.DecodeMetadata reads them.
      // A misspelled key is warned about with a did-you-mean, as for components; `host` is the service's own field.
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const configuration = { url: bad.file, updateInterval: 3, timeout: 1, updateIntervall: '9s', host: '127.0.0.1' };
      const app = await startApp({ appId: 'alias-nr', nameResolution: { component: 'sqlite', configuration } });
      await app.close();
      expect(existsSync(bad.file)).toBe(true);
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('nameresolution.sqlite'))).toEqual([
        'component "nameresolution.sqlite": unknown metadata "updateIntervall" for nameresolution.sqlite; did you mean "updateInterval"?',
      ]);
    } finally {
      jest.restoreAllMocks();
      bad.cleanup();
    }
  });
});
