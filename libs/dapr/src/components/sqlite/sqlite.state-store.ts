import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ComponentConfigError } from '../../errors/component-config.error';
import { ETagMismatchError } from '../../errors/state.errors';
import { loadPackage } from '../../spi/kit/load-package';
import { evaluateStateQuery, type QueryCandidate } from '../../spi/kit/state-query.evaluator';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { SQLITE_STATE_METADATA } from './sqlite.metadata';
import type {
  StateDeleteRequest,
  StateFeature,
  StateGetRequest,
  StateGetResponse,
  StateQueryDriverResponse,
  StateQueryRequest,
  StateSetRequest,
  StateStoreDriver,
  StateTransactionOperation,
} from '../../spi/state.spi';

const TYPE = 'state.sqlite';
const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'];

interface Row {
  key: string;
  value: string;
  is_binary: number;
  etag: string;
  expiration_time: string | null;
}

interface Statements {
  get: BetterSqlite3.Statement<[string], Row>;
  upsert: BetterSqlite3.Statement;
  insertFirstWrite: BetterSqlite3.Statement;
  update: BetterSqlite3.Statement;
  del: BetterSqlite3.Statement;
  delEtag: BetterSqlite3.Statement;
  scan: BetterSqlite3.Statement<[string], Row>;
  cleanup: BetterSqlite3.Statement;
}

/**
 * `state.sqlite` in Dapr's SQLite layout (components-contrib `state/sqlite`),
 * so a Dapr sidecar can open the same file: table `state` (`key`, `value`
 * TEXT = JSON or base64 for bytes, `is_binary`, `etag` UUID, `expiration_time`,
 * `update_time`, SQLite `CURRENT_TIMESTAMP` format) and a `metadata` table
 * holding the `migrations` level and `last-cleanup`. WAL journal unless
 * `disableWAL`; expired rows are hidden at once and deleted every
 * `cleanupInterval` (default 1h, 0 disables).
 * Metadata: `connectionString` (path, `file:` URI or `:memory:`), `tableName`,
 * `metadataTableName`, `busyTimeout`, `disableWAL`, `cleanupInterval`.
 */
export class SqliteStateStore implements StateStoreDriver {
  private db?: BetterSqlite3.Database;
  private st!: Statements;
  private table = 'state';
  private metadataTable = 'metadata';
  private cleaner?: NodeJS.Timeout;

  async init(md: ComponentMetadata): Promise<void> {
    const m = decodeMetadata(SQLITE_STATE_METADATA, md);
    const file = parseConnectionString(md.name, m.connectionString);
    this.table = identifier(md, 'tableName', m.tableName || 'state');
    this.metadataTable = identifier(md, 'metadataTableName', m.metadataTableName || 'metadata');
    const busyMs = m.busyTimeout;
    const cleanupMs = m.cleanupInterval;
    const disableWal = m.disableWAL;

    const Database = await loadPackage<typeof BetterSqlite3>(TYPE, 'better-sqlite3');
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    const db = new Database(file, { timeout: busyMs });
    this.db = db;
    if (!disableWal && file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    this.migrate(db);
    this.st = this.prepare(db);
    if (cleanupMs > 0) {
      this.cleaner = setInterval(() => this.cleanup(), cleanupMs);
      this.cleaner.unref();
    }
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    this.conn().prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.cleaner) clearInterval(this.cleaner);
    this.db?.close();
    this.db = undefined;
  }

  async get(req: StateGetRequest): Promise<StateGetResponse | undefined> {
    this.conn();
    const row = this.st.get.get(req.key);
    return row ? toResponse(row) : undefined;
  }

  async set(req: StateSetRequest): Promise<void> {
    this.conn();
    this.doSet(req);
  }

  async delete(req: StateDeleteRequest): Promise<void> {
    this.conn();
    this.doDelete(req);
  }

  async multi(operations: StateTransactionOperation[]): Promise<void> {
    const db = this.conn();
    // better-sqlite3 transactions are synchronous: BEGIN, every op in order, COMMIT;
    // any throw (an ETag mismatch) rolls the whole transaction back.
    db.transaction(() => {
      for (const op of operations) {
        if (op.operation === 'upsert') this.doSet(op.request);
        else this.doDelete(op.request);
      }
    }).immediate();
  }

  async query(req: StateQueryRequest): Promise<StateQueryDriverResponse> {
    this.conn();
    const prefix = req.keyPrefix ?? '';
    const candidates: QueryCandidate<Row>[] = [];
    for (const row of this.st.scan.iterate(escapeLike(prefix) + '%')) {
      if (row.is_binary) continue;
      try {
        candidates.push({ value: JSON.parse(row.value), row });
      } catch {
        // Not JSON (written raw by another client): not queryable.
      }
    }
    const { rows, token } = evaluateStateQuery(candidates, req.parsed);
    return {
      results: rows.map((r) => ({ key: r.key, data: Buffer.from(r.value, 'utf8'), isBinary: false, etag: r.etag })),
      token,
    };
  }

  private doSet(req: StateSetRequest): void {
    const value = req.isBinary
      ? Buffer.from(req.value.buffer, req.value.byteOffset, req.value.byteLength).toString('base64')
      : (req.text ?? Buffer.from(req.value.buffer, req.value.byteOffset, req.value.byteLength).toString('utf8'));
    const isBinary = req.isBinary ? 1 : 0;
    const etag = randomUUID();
    const ttl = req.ttlInSeconds !== undefined && req.ttlInSeconds > 0 ? `+${req.ttlInSeconds} seconds` : null;
    const params = { key: req.key, value, isBinary, etag, ttl };
    if (req.etag !== undefined) {
      const res = this.st.update.run({ ...params, oldEtag: req.etag });
      if (res.changes === 0) throw new ETagMismatchError(req.key);
      return;
    }
    if (req.options?.concurrency === 'first-write') {
      const res = this.st.insertFirstWrite.run(params);
      if (res.changes === 0) throw new ETagMismatchError(req.key, 'item already exists and no etag was passed');
      return;
    }
    this.st.upsert.run(params);
  }

  private doDelete(req: StateDeleteRequest): void {
    if (req.etag === undefined) {
      this.st.del.run(req.key);
      return;
    }
    const res = this.st.delEtag.run(req.key, req.etag);
    if (res.changes === 0) throw new ETagMismatchError(req.key);
  }

  private cleanup(): void {
    if (!this.db) return;
    try {
      this.db.transaction(() => {
        this.st.cleanup.run();
        this.db!.prepare(`REPLACE INTO ${this.metadataTable} (key, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP)`).run();
      })();
    } catch {
      // Busy or closing: the next round retries; reads already hide expired rows.
    }
  }

  private migrate(db: BetterSqlite3.Database): void {
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      const row = db.prepare(`SELECT value FROM ${this.metadataTable} WHERE key = 'migrations'`).get() as
        | { value: string }
        | undefined;
      const level = row ? Number(row.value) : 0;
      if (level < 1) {
        // Migration 0 of Dapr's SQLite state store. IF NOT EXISTS: a table from
        // before the metadata table existed is kept.
        db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
          key TEXT NOT NULL PRIMARY KEY,
          value TEXT NOT NULL,
          is_binary BOOLEAN NOT NULL,
          etag TEXT NOT NULL,
          expiration_time TIMESTAMP DEFAULT NULL,
          update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
        )`);
        db.exec(`CREATE INDEX IF NOT EXISTS idx_${this.table}_expiration_time ON ${this.table} (expiration_time)`);
        db.prepare(`REPLACE INTO ${this.metadataTable} (key, value) VALUES ('migrations', '1')`).run();
      }
    }).immediate();
  }

  private prepare(db: BetterSqlite3.Database): Statements {
    const t = this.table;
    const live = '(expiration_time IS NULL OR expiration_time > CURRENT_TIMESTAMP)';
    // @ttl is a DATETIME modifier such as '+5 seconds', or NULL for no expiry.
    const exp = 'CASE WHEN @ttl IS NULL THEN NULL ELSE DATETIME(CURRENT_TIMESTAMP, @ttl) END';
    return {
      get: db.prepare(`SELECT key, value, is_binary, etag, expiration_time FROM ${t} WHERE key = ? AND ${live}`),
      upsert: db.prepare(
        `INSERT OR REPLACE INTO ${t} (key, value, is_binary, etag, update_time, expiration_time)
         VALUES (@key, @value, @isBinary, @etag, CURRENT_TIMESTAMP, ${exp})`,
      ),
      // First-write: insert, or take over a row that has expired but not been cleaned up yet.
      insertFirstWrite: db.prepare(
        `INSERT INTO ${t} (key, value, is_binary, etag, update_time, expiration_time)
         VALUES (@key, @value, @isBinary, @etag, CURRENT_TIMESTAMP, ${exp})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, is_binary = excluded.is_binary, etag = excluded.etag,
           update_time = CURRENT_TIMESTAMP, expiration_time = excluded.expiration_time
         WHERE ${t}.expiration_time IS NOT NULL AND ${t}.expiration_time <= CURRENT_TIMESTAMP`,
      ),
      update: db.prepare(
        `UPDATE ${t} SET value = @value, etag = @etag, is_binary = @isBinary, update_time = CURRENT_TIMESTAMP,
           expiration_time = ${exp}
         WHERE key = @key AND etag = @oldEtag AND ${live}`,
      ),
      del: db.prepare(`DELETE FROM ${t} WHERE key = ?`),
      delEtag: db.prepare(`DELETE FROM ${t} WHERE key = ? AND etag = ? AND ${live}`),
      scan: db.prepare(
        `SELECT key, value, is_binary, etag, expiration_time FROM ${t} WHERE key LIKE ? ESCAPE '\\' AND ${live} ORDER BY key`,
      ),
      cleanup: db.prepare(`DELETE FROM ${t} WHERE expiration_time IS NOT NULL AND expiration_time < CURRENT_TIMESTAMP`),
    };
  }

  private conn(): BetterSqlite3.Database {
    if (!this.db) throw new Error(`state store ${TYPE} is closed`);
    return this.db;
  }
}

function toResponse(row: Row): StateGetResponse {
  const res: StateGetResponse = {
    data: row.is_binary ? Buffer.from(row.value, 'base64') : Buffer.from(row.value, 'utf8'),
    isBinary: !!row.is_binary,
    etag: row.etag,
  };
  // SQLite's CURRENT_TIMESTAMP format is "YYYY-MM-DD HH:MM:SS" in UTC.
  if (row.expiration_time) res.metadata = { ttlExpireTime: row.expiration_time.replace(' ', 'T') + 'Z' };
  return res;
}

/** Dapr accepts a path, a `file:` URI with query options, or `:memory:`. */
function parseConnectionString(component: string, cs: string | undefined): string {
  if (!cs) {
    throw new ComponentConfigError(
      `component "${component}": metadata "connectionString" is required (a file path such as .dapr/state.db)`,
      undefined,
      component,
      'connectionString',
    );
  }
  let file = cs.trim();
  if (file.startsWith('file:')) file = file.slice('file:'.length);
  const q = file.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(file.slice(q + 1));
    file = file.slice(0, q);
    if (params.get('mode') === 'memory') return ':memory:';
  }
  return file === '' ? ':memory:' : file;
}

function identifier(md: ComponentMetadata, field: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw metadataError(md, field, `"${value}" must be a plain table name (letters, digits, _)`);
  }
  return value;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
