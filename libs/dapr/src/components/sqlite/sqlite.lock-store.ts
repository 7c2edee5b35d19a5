import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { LockStoreDriver, TryLockRequest, UnlockRequest, UnlockStatus } from '../../spi/lock.spi';
import { loadPackage } from '../../spi/kit/load-package';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { SQLITE_LOCK_METADATA } from './sqlite.metadata';

const TYPE = 'lock.sqlite';

interface Statements {
  acquire: BetterSqlite3.Statement<[string, string, number, number]>;
  release: BetterSqlite3.Statement<[string, string, number]>;
  holder: BetterSqlite3.Statement<[string, number], { owner: string }>;
  cleanup: BetterSqlite3.Statement<[number]>;
}

/**
 * `lock.sqlite`: Dapr's lock semantics for the processes of one machine, in
 * one SQLite file. A held lock is a row (`key`, `owner`, `expires_at` in epoch
 * ms); an expired row counts as free. Taking the lock is one upsert that only
 * overwrites an expired row, and releasing is one owner-checked delete, so
 * SQLite's write lock makes both atomic across processes without a
 * transaction around them. Expiry is read against the machine's clock, which
 * every process shares.
 */
export class SqliteLockStore implements LockStoreDriver {
  private db?: BetterSqlite3.Database;
  private st!: Statements;
  private cleaner?: NodeJS.Timeout;

  async init(md: ComponentMetadata): Promise<void> {
    const m = decodeMetadata(SQLITE_LOCK_METADATA, md);
    const table = m.tableName;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw metadataError(md, 'tableName', `"${table}" must be a plain table name (letters, digits, _)`);
    const file = databaseFile(m.connectionString);
    const Database = await loadPackage<typeof BetterSqlite3>(TYPE, 'better-sqlite3');
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    const db = new Database(file, { timeout: Math.max(0, m.busyTimeout) });
    this.db = db;
    if (!m.disableWAL && file !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
    this.st = {
      // Inserts a free key, or takes over a row whose lock has expired; a live lock is left alone (0 changes).
      acquire: db.prepare(
        `INSERT INTO ${table} (key, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE ${table}.expires_at <= ?`,
      ),
      release: db.prepare(`DELETE FROM ${table} WHERE key = ? AND owner = ? AND expires_at > ?`),
      holder: db.prepare(`SELECT owner FROM ${table} WHERE key = ? AND expires_at > ?`),
      cleanup: db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`),
    };
    if (m.cleanupInterval > 0) {
      this.cleaner = setInterval(() => this.cleanup(), m.cleanupInterval);
      this.cleaner.unref();
    }
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    this.conn().prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.cleaner) clearInterval(this.cleaner);
    this.db?.close();
    this.db = undefined;
  }

  async tryLock(req: TryLockRequest): Promise<{ success: boolean }> {
    this.conn();
    const now = Date.now();
    const res = this.st.acquire.run(req.resourceId, req.lockOwner, now + req.expiryInSeconds * 1000, now);
    return { success: res.changes === 1 };
  }

  async unlock(req: UnlockRequest): Promise<{ status: UnlockStatus }> {
    this.conn();
    const now = Date.now();
    if (this.st.release.run(req.resourceId, req.lockOwner, now).changes === 1) return { status: 'SUCCESS' };
    // Not ours (any more): tell apart a free key from someone else's live lock.
    return { status: this.st.holder.get(req.resourceId, now) ? 'LOCK_BELONGS_TO_OTHERS' : 'LOCK_DOES_NOT_EXIST' };
  }

  private cleanup(): void {
    try {
      this.st.cleanup.run(Date.now());
    } catch {
      // Busy or closed: the next round (or the upsert) takes care of expired rows.
    }
  }

  private conn(): BetterSqlite3.Database {
    if (!this.db) throw new Error(`${TYPE} is not initialised or already closed`);
    return this.db;
  }
}

/** A path, a `file:` URI (query options dropped; `mode=memory` is a private in-memory database) or `:memory:`. */
function databaseFile(cs: string): string {
  let file = cs.trim();
  if (file.startsWith('file:')) file = file.slice('file:'.length);
  const q = file.indexOf('?');
  if (q >= 0) {
    if (new URLSearchParams(file.slice(q + 1)).get('mode') === 'memory') return ':memory:';
    file = file.slice(0, q);
  }
  return file === '' ? ':memory:' : file;
}
