import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { AppNotFoundError } from '../../errors/invocation.errors';
import { loadPackage } from '../../spi/kit/load-package';
import { decodeMetadata, metadataError, resolverMetadataOrigin, type MetadataOrigin } from '../../spi/kit/metadata';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { AppRegistration, NameResolverDriver, ResolveRequest } from '../../spi/name-resolver.spi';
import { SQLITE_NAME_RESOLVER_METADATA } from './sqlite.metadata';

const TYPE = 'nameresolution.sqlite';
export { DEFAULT_NAME_RESOLUTION_DB } from './sqlite.metadata';

/** Dapr's key for the schema version of the resolver's tables in the metadata table. */
const MIGRATION_KEY = 'nr-migrations';

interface Settings {
  file: string;
  table: string;
  metadataTable: string;
  updateIntervalSec: number;
  timeoutMs: number;
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
 * heartbeat goes stale. Configuration: SQLITE_NAME_RESOLVER_METADATA (Dapr's
 * fields, decoded with its rules). The tables are created by Dapr's migration
 * (version kept under `nr-migrations` in the metadata table), so a Dapr
 * sidecar and a nest-dapr app can share one file whichever starts first.
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

  private Database?: typeof BetterSqlite3;

  /** Validates the configuration and loads better-sqlite3; the file is opened on first use. */
  async init(metadata?: ComponentMetadata): Promise<void> {
    this.settings = parseSettings(resolverMetadataOrigin(metadata, TYPE, this.configuration));
    this.Database = await loadPackage<typeof BetterSqlite3>(TYPE, 'better-sqlite3');
  }

  /**
   * Opens the file, migrates it and prepares the statements, the first time
   * the resolver is used: an app that neither listens nor invokes leaves no
   * trace in .dapr/, yet a bad configuration still stops start-up (init).
   */
  private open(): NonNullable<SqliteNameResolver['stmts']> {
    if (this.stmts) return this.stmts;
    if (!this.Database) throw new Error(`${TYPE} is used before init() or after close()`);
    mkdirSync(dirname(this.settings.file), { recursive: true });
    const db = new this.Database(this.settings.file, { timeout: this.settings.busyTimeoutMs });
    try {
      if (!this.settings.disableWAL) db.pragma('journal_mode = WAL');
      migrate(db, this.settings);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    const t = this.settings.table;
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
    return this.stmts;
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    this.open();
    this.db!.prepare('SELECT 1').get();
  }

  async register(reg: AppRegistration): Promise<void> {
    const s = this.open();
    const id = randomUUID();
    this.registration = { ...reg, id };
    s.upsert.run(id, reg.address, reg.appId, reg.namespace ?? '');
    clearInterval(this.heartbeat);
    // As Dapr: the row must be refreshed every updateInterval, and a refresh may take up to `timeout`.
    const everyMs = Math.max(1000, this.settings.updateIntervalSec * 1000 - this.settings.timeoutMs);
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
    const rows = this.open().live.all(appId, namespace, this.settings.updateIntervalSec);
    if (rows.length === 0) throw new AppNotFoundError(req.appId, 'sqlite', `no live instance in ${this.settings.file}`);
    return rows.length === 1 ? rows[0].address : rows[Math.floor(Math.random() * rows.length)].address;
  }

  async close(): Promise<void> {
    clearInterval(this.cleanupTimer);
    await this.deregister().catch(() => undefined);
    this.db?.close();
    this.db = undefined;
    this.stmts = undefined;
    this.Database = undefined;
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

/**
 * Dapr's migration of the resolver's tables (components-contrib
 * `nameresolution/sqlite/sqlite_migrations.go` with the common SQLite
 * migrator): in one exclusive transaction, the metadata table, then — when
 * `nr-migrations` says it has not run — the hosts table with its unique
 * address index and last_update index, then the version. `IF NOT EXISTS`
 * keeps files written by earlier nest-dapr versions (which created the hosts
 * table without a version row) usable.
 */
function migrate(db: BetterSqlite3.Database, s: Settings): void {
  const t = s.table;
  db.exec('BEGIN EXCLUSIVE TRANSACTION');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS ${s.metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
    const row = db.prepare(`SELECT value FROM ${s.metadataTable} WHERE key = ?`).get(MIGRATION_KEY) as { value: string } | undefined;
    const level = row ? Number.parseInt(row.value, 10) : 0;
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid migration level found in metadata table: ${row?.value}`);
    if (level < 1) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
        registration_id TEXT NOT NULL PRIMARY KEY,
        address TEXT NOT NULL,
        app_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        last_update INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS ${t}_address_idx ON ${t} (address);
      CREATE INDEX IF NOT EXISTS ${t}_last_update_idx ON ${t} (last_update);`);
      db.prepare(`REPLACE INTO ${s.metadataTable} (key, value) VALUES (?, ?)`).run(MIGRATION_KEY, '1');
    }
    db.exec('COMMIT TRANSACTION');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK TRANSACTION');
    throw err;
  }
}

/** Dapr's checks (`sqliteMetadata.InitWithMetadata`) on the decoded configuration. */
function parseSettings(origin: MetadataOrigin): Settings {
  const m = decodeMetadata(SQLITE_NAME_RESOLVER_METADATA, origin);
  for (const [field, name] of [['tableName', m.tableName], ['metadataTableName', m.metadataTableName]] as const) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw metadataError(origin, field, `"${name}" is not a valid identifier`);
  }
  if (m.timeout < 1000) throw metadataError(origin, 'timeout', 'must be at least 1s');
  if (m.updateInterval % 1000 !== 0) throw metadataError(origin, 'updateInterval', 'must not contain fractions of seconds');
  if (m.updateInterval - m.timeout < 1000) throw metadataError(origin, 'updateInterval', 'must be at least 1s greater than timeout');
  if (m.cleanupInterval <= 0) throw metadataError(origin, 'cleanupInterval', 'must be positive');
  if (m.busyTimeout <= 0) throw metadataError(origin, 'busyTimeout', 'must be positive');
  if (!m.connectionString) throw metadataError(origin, 'connectionString', 'is empty');
  const file = m.connectionString.replace(/^file:/, '').replace(/\?.*$/, '');
  return {
    file: resolvePath(file),
    table: m.tableName,
    metadataTable: m.metadataTableName,
    updateIntervalSec: m.updateInterval / 1000,
    timeoutMs: m.timeout,
    cleanupIntervalMs: m.cleanupInterval,
    busyTimeoutMs: Math.floor(m.busyTimeout),
    disableWAL: m.disableWAL,
  };
}
