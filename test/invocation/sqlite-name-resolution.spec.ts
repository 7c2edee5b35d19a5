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
});
