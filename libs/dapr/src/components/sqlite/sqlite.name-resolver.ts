import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ComponentConfigError } from '../../errors/component-config.error';
import { AppNotFoundError } from '../../errors/invocation.errors';
import { parseDuration } from '../../spi/kit/duration';
import { loadPackage } from '../../spi/kit/load-package';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { AppRegistration, NameResolverDriver, ResolveRequest } from '../../spi/name-resolver.spi';

const TYPE = 'nameresolution.sqlite';
export const DEFAULT_NAME_RESOLUTION_DB = '.dapr/nameresolution.db';

interface Settings {
  file: string;
  table: string;
  updateIntervalSec: number;
  timeoutSec: number;
  cleanupIntervalMs: number;
  busyTimeoutMs: number;
  disableWAL: boolean;
}

/**
 * `nameresolution.sqlite`, Dapr's single-machine resolver: every app writes a
 * row `(registration_id, address, app_id, namespace, last_update)` into a
 * shared SQLite file and refreshes `last_update` (unix seconds) every
 * `updateInterval − timeout`; a lookup picks a random row refreshed within the
 * last `updateInterval`, so a crashed instance stops being chosen once its
 * heartbeat goes stale. Configuration follows Dapr: `connectionString`
 * (default `.dapr/nameresolution.db`), `updateInterval` (5s), `timeout` (1s),
 * `tableName` (hosts), `cleanupInterval` (1h), `busyTimeout` (800ms), `disableWAL`.
 */
export class SqliteNameResolver implements NameResolverDriver {
  private settings!: Settings;
  private db?: BetterSqlite3.Database;
  private stmts?: {
    upsert: BetterSqlite3.Statement<[string, string, string, string]>;
    touch: BetterSqlite3.Statement<[string]>;
    remove: BetterSqlite3.Statement<[string]>;
    live: BetterSqlite3.Statement<[string, string, number], { address: string }>;
    cleanup: BetterSqlite3.Statement<[number]>;
  };
  private registration?: AppRegistration & { id: string };
  private heartbeat?: NodeJS.Timeout;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(private readonly configuration: Record<string, unknown> = {}) {}

  async init(metadata?: ComponentMetadata): Promise<void> {
    this.settings = parseSettings({ ...this.configuration, ...(metadata?.configuration ?? {}), ...(metadata?.properties ?? {}) });
    const Database = await loadPackage<typeof BetterSqlite3>(TYPE, 'better-sqlite3');
    mkdirSync(dirname(this.settings.file), { recursive: true });
    const db = new Database(this.settings.file, { timeout: this.settings.busyTimeoutMs });
    this.db = db;
    if (!this.settings.disableWAL) db.pragma('journal_mode = WAL');
    const t = this.settings.table;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      registration_id TEXT NOT NULL PRIMARY KEY,
      address TEXT NOT NULL,
      app_id TEXT NOT NULL,
      namespace TEXT NOT NULL,
      last_update INTEGER NOT NULL,
      UNIQUE (address)
    );
    CREATE INDEX IF NOT EXISTS ${t}_app_id_idx ON ${t} (app_id, namespace, last_update);`);
    this.stmts = {
      // One row per address: a restarted app on the same port replaces its dead predecessor.
      upsert: db.prepare(
        `INSERT INTO ${t} (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, ?, unixepoch())
         ON CONFLICT (address) DO UPDATE SET registration_id = excluded.registration_id, app_id = excluded.app_id,
         namespace = excluded.namespace, last_update = excluded.last_update`,
      ),
      touch: db.prepare(`UPDATE ${t} SET last_update = unixepoch() WHERE registration_id = ?`),
      remove: db.prepare(`DELETE FROM ${t} WHERE registration_id = ?`),
      live: db.prepare(`SELECT address FROM ${t} WHERE app_id = ? AND namespace = ? AND unixepoch() - last_update < ?`),
      cleanup: db.prepare(`DELETE FROM ${t} WHERE unixepoch() - last_update >= ?`),
    };
    this.cleanupTimer = setInterval(() => this.cleanup(), this.settings.cleanupIntervalMs);
    this.cleanupTimer.unref();
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    this.db?.prepare('SELECT 1').get();
  }

  async register(reg: AppRegistration): Promise<void> {
    const s = this.stmts!;
    const id = randomUUID();
    this.registration = { ...reg, id };
    s.upsert.run(id, reg.address, reg.appId, reg.namespace ?? '');
    clearInterval(this.heartbeat);
    const everyMs = Math.max(1, this.settings.updateIntervalSec - this.settings.timeoutSec) * 1000;
    this.heartbeat = setInterval(() => this.beat(), everyMs);
    this.heartbeat.unref();
  }

  async deregister(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.registration && this.stmts) this.stmts.remove.run(this.registration.id);
    this.registration = undefined;
  }

  async resolve(req: ResolveRequest): Promise<string> {
    return this.resolveNow(req);
  }

  resolveNow(req: ResolveRequest): string {
    const dot = req.appId.indexOf('.');
    const appId = dot < 0 ? req.appId : req.appId.slice(0, dot);
    const namespace = dot < 0 ? (req.namespace ?? '') : req.appId.slice(dot + 1);
    const rows = this.stmts!.live.all(appId, namespace, this.settings.updateIntervalSec);
    if (rows.length === 0) throw new AppNotFoundError(req.appId, 'sqlite', `no live instance in ${this.settings.file}`);
    return rows.length === 1 ? rows[0].address : rows[Math.floor(Math.random() * rows.length)].address;
  }

  async close(): Promise<void> {
    clearInterval(this.cleanupTimer);
    await this.deregister().catch(() => undefined);
    this.db?.close();
    this.db = undefined;
  }

  private beat(): void {
    const reg = this.registration;
    if (!reg || !this.stmts) return;
    try {
      // Someone's cleanup may have removed the row during a long pause: register again.
      if (this.stmts.touch.run(reg.id).changes === 0) this.stmts.upsert.run(reg.id, reg.address, reg.appId, reg.namespace ?? '');
    } catch {
      // A busy database skips one beat; the next one catches up before the row goes stale.
    }
  }

  private cleanup(): void {
    try {
      this.stmts?.cleanup.run(this.settings.updateIntervalSec);
    } catch {
      // Cleanup is best effort; stale rows are never chosen anyway.
    }
  }
}

function parseSettings(c: Record<string, unknown>): Settings {
  const seconds = (key: string, def: string, min: number): number => {
    const raw = c[key] === undefined ? def : String(c[key]);
    const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : parseDuration(raw);
    if (ms === undefined || ms < min * 1000) {
      throw new ComponentConfigError(`${TYPE}: ${key} "${raw}" must be a Go duration of at least ${min}s`, undefined, TYPE, `configuration.${key}`);
    }
    return Math.floor(ms / 1000); // Dapr truncates fractions of seconds
  };
  const millis = (key: string, def: string): number => {
    const raw = c[key] === undefined ? def : String(c[key]);
    const ms = parseDuration(raw);
    if (ms === undefined || ms <= 0) {
      throw new ComponentConfigError(`${TYPE}: ${key} "${raw}" is not a Go duration`, undefined, TYPE, `configuration.${key}`);
    }
    return ms;
  };
  const table = c.tableName === undefined ? 'hosts' : String(c.tableName);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new ComponentConfigError(`${TYPE}: tableName "${table}" is not a valid identifier`, undefined, TYPE, 'configuration.tableName');
  }
  const updateIntervalSec = seconds('updateInterval', '5s', 1);
  const timeoutSec = seconds('timeout', '1s', 1);
  if (updateIntervalSec < timeoutSec + 1) {
    throw new ComponentConfigError(`${TYPE}: updateInterval must be at least 1s greater than timeout`, undefined, TYPE, 'configuration.updateInterval');
  }
  const conn = c.connectionString === undefined ? DEFAULT_NAME_RESOLUTION_DB : String(c.connectionString);
  const file = conn.replace(/^file:/, '').replace(/\?.*$/, '');
  return {
    file: resolvePath(file),
    table,
    updateIntervalSec,
    timeoutSec,
    cleanupIntervalMs: millis('cleanupInterval', '1h'),
    busyTimeoutMs: millis('busyTimeout', '800ms'),
    disableWAL: String(c.disableWAL ?? 'false') === 'true',
  };
}
