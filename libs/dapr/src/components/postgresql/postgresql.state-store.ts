import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { Logger } from '@nestjs/common';
import { loadPackage } from '../../spi/kit/load-package';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  StateBulkGetResponse,
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
import { ExpiredRowCollector } from './postgresql-cleanup';
import { parsePostgresStateSettings, type PostgresStateSettings } from './postgresql-connection';
import { performMigrations, stateV1Applied, stateV1Migrations } from './postgresql-migrations';
import { ETagInvalidError, ETagMismatchError, StateRequestInvalidError } from '../../errors/state.errors';
import { compileStateQuery } from './postgresql-state-query';
import { stateV1Statements, type PreparedStatement, type StateStatements } from './postgresql-state-sql';
import { decodeStoredValue, encodeValue, expireTimeMetadata } from './postgresql-state-values';

type Pg = typeof import('pg');
type Queryable = Pick<Pool, 'query'> | PoolClient;

const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API', 'KEYS_LIKE'];

/** The most a `xmin` (an unsigned 32-bit transaction id) can be; Dapr parses ETags as uint32. */
const MAX_XID = 4_294_967_295;

interface Row {
  key: string;
  value: string;
  isbinary: boolean;
  etag: string;
  expiredate: Date | null;
}

/**
 * `state.postgresql` v1 on `pg`, storage-compatible with Dapr's component
 * (`cc:state/postgresql/v1`, `cc:common/component/postgresql/v1`): the same
 * table (`key`, jsonb `value`, `isbinary`, `insertdate`, `updatedate`,
 * `expiredate`, `row_id`), the same migrations recorded in the same metadata
 * table, `xmin` as the ETag, binary values as a base64 JSON string, TTL in
 * `expiredate` with reads that skip expired rows and a periodic collector.
 * A nest-dapr app and a Dapr sidecar can share one table.
 */
export class PostgresStateStore implements StateStoreDriver {
  private pg!: Pg;
  private pool!: Pool;
  private settings!: PostgresStateSettings;
  private sql!: StateStatements;
  private collector?: ExpiredRowCollector;
  private logger = new Logger('state.postgresql');

  async init(md: ComponentMetadata): Promise<void> {
    this.settings = parsePostgresStateSettings(md);
    this.logger = new Logger(`state.postgresql/${md.name}`);
    this.pg = await loadPackage<Pg>(md.type, 'pg');
    this.pool = new this.pg.Pool(this.settings.pool);
    // An idle client losing its connection emits here; without a listener Node would crash.
    // The pool drops that client and the next query opens a new connection.
    this.pool.on('error', (err) => this.logger.warn(`idle connection error: ${err.message}`));
    try {
      await this.pool.query('SELECT 1');
      await performMigrations({
        pg: this.pg,
        pool: this.pool,
        // Waiting for another starter's migration may take longer than one statement (Dapr allows a minute).
        lockConnection: { ...this.settings.pool, statement_timeout: Math.max(60_000, this.settings.timeoutMs) },
        metadataTableName: this.settings.metadataTableName,
        metadataKey: 'migrations',
        migrations: stateV1Migrations(this.settings.tableName),
        isApplied: stateV1Applied(this.settings.tableName),
      });
    } catch (err) {
      const pool = this.pool;
      this.pool = undefined as unknown as Pool;
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.sql = stateV1Statements(this.settings.tableName);
    if (this.settings.cleanupIntervalMs) {
      const md = this.settings.metadataTableName;
      this.collector = new ExpiredRowCollector({
        pool: this.pool,
        logger: this.logger,
        intervalMs: this.settings.cleanupIntervalMs,
        claimQuery:
          `INSERT INTO ${md} AS m (key, value) VALUES ('last-cleanup', now()::text)
           ON CONFLICT (key) DO UPDATE SET value = now()::text
           WHERE (EXTRACT('epoch' FROM now() - m.value::timestamp with time zone) * 1000)::bigint > $1`,
        deleteQuery: `DELETE FROM ${this.settings.tableName} WHERE expiredate IS NOT NULL AND expiredate < now()`,
      });
      this.collector.start();
    }
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Idempotent: the runtime may close a store whose init failed, or close twice at shutdown. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined as unknown as Pool;
    await this.collector?.stop();
    this.collector = undefined;
    await pool?.end();
  }

  async get(req: StateGetRequest): Promise<StateGetResponse | undefined> {
    const res = await this.run<Row>(this.pool, this.sql.get, [req.key]);
    const row = res.rows[0];
    if (!row) return undefined;
    return toResponse(row);
  }

  async bulkGet(reqs: StateGetRequest[]): Promise<StateBulkGetResponse[]> {
    if (reqs.length === 0) return [];
    const res = await this.run<Row>(this.pool, this.sql.bulkGet, [reqs.map((r) => r.key)]);
    const found = new Map<string, Row>();
    for (const row of res.rows) found.set(row.key, row);
    // Request order, with `{ key }` for a missing key (Dapr returns found rows first, then missing ones).
    return reqs.map((r) => {
      const row = found.get(r.key);
      if (!row) return { key: r.key };
      try {
        return { key: r.key, ...toResponse(row) };
      } catch (err) {
        return { key: r.key, error: (err as Error).message };
      }
    });
  }

  async set(req: StateSetRequest): Promise<void> {
    await this.doSet(this.pool, req);
  }

  async delete(req: StateDeleteRequest): Promise<void> {
    await this.doDelete(this.pool, req);
  }

  /**
   * One database transaction: every operation applies, in order, or none does.
   * A failed ETag check (or any error) rolls the whole transaction back.
   */
  async multi(operations: StateTransactionOperation[], _metadata: Record<string, string> = {}): Promise<void> {
    if (operations.length === 0) return;
    // Reject malformed ETags and TTLs before touching the database.
    for (const op of operations) {
      if (op.request.etag) parseXmin(op.request.etag, op.request.key, 'transaction');
      if (op.operation === 'upsert') ttlOf(op.request);
    }
    if (operations.length === 1) {
      await this.apply(this.pool, operations[0]);
      return;
    }
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        for (const op of operations) await this.apply(client, op);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          // A connection that cannot roll back must not return to the pool mid-transaction.
          broken = rollbackErr;
        });
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  async query(req: StateQueryRequest): Promise<StateQueryDriverResponse> {
    const q = compileStateQuery(this.settings.tableName, req.parsed, req.keyPrefix);
    const res = await this.pool.query<Row>(q.text, q.values);
    let rows = res.rows;
    let token: string | undefined;
    if (q.limit > 0 && rows.length > q.limit) {
      rows = rows.slice(0, q.limit);
      token = String(q.offset + q.limit);
    }
    return {
      results: rows.map((row) => {
        try {
          const value = decodeStoredValue(row.value, row.isbinary);
          return { key: row.key, data: value, isBinary: row.isbinary || undefined, etag: row.etag };
        } catch (err) {
          return { key: row.key, data: new Uint8Array(0), etag: row.etag, error: (err as Error).message };
        }
      }),
      token,
    };
  }

  /**
   * Dapr's KEYS_LIKE: keys matching a SQL LIKE `pattern` (`\` escapes `%` and
   * `_`), unexpired, in `row_id` order. `continuationToken` is the last
   * `row_id` seen, so paging survives concurrent inserts and deletes.
   */
  async keysLike(
    pattern: string,
    opts: { pageSize?: number; continuationToken?: string } = {},
  ): Promise<{ keys: string[]; continuationToken?: string }> {
    if (!pattern) throw new StateRequestInvalidError('keys like: the pattern is empty');
    const after = opts.continuationToken ?? '0';
    if (!/^\d+$/.test(after)) throw new StateRequestInvalidError(`keys like: invalid continuation token "${after}"`);
    const pageSize = opts.pageSize && opts.pageSize > 0 ? opts.pageSize : null;
    const res = await this.run<{ key: string; row_id: string }>(this.pool, this.sql.keysLike, [
      pattern,
      after,
      pageSize === null ? null : pageSize + 1,
    ]);
    let rows = res.rows;
    let continuationToken: string | undefined;
    if (pageSize !== null && rows.length > pageSize) {
      rows = rows.slice(0, pageSize);
      continuationToken = rows[rows.length - 1].row_id;
    }
    return { keys: rows.map((r) => r.key), continuationToken };
  }

  /** Deletes expired rows now (what the periodic collector does); resolves to the number deleted. */
  async cleanupExpired(): Promise<number> {
    const res = await this.pool.query(
      `DELETE FROM ${this.settings.tableName} WHERE expiredate IS NOT NULL AND expiredate < now()`,
    );
    return res.rowCount ?? 0;
  }

  private apply(db: Queryable, op: StateTransactionOperation): Promise<void> {
    return op.operation === 'upsert' ? this.doSet(db, op.request) : this.doDelete(db, op.request);
  }

  private async doSet(db: Queryable, req: StateSetRequest): Promise<void> {
    const ttl = ttlOf(req);
    // The block hands JSON values over as text too; using it skips a bytes→string copy.
    const value = !req.isBinary && req.text !== undefined ? req.text : encodeValue(req.value, req.isBinary);
    const withTtl = ttl !== undefined && ttl > 0;
    let res: QueryResult<object>;
    if (req.etag) {
      const xmin = parseXmin(req.etag, req.key);
      const sql = withTtl ? this.sql.updateTtl : this.sql.update;
      res = await this.run(db, sql, withTtl ? [req.key, value, req.isBinary, xmin, ttl] : [req.key, value, req.isBinary, xmin]);
      if (res.rowCount !== 1) throw new ETagMismatchError(req.key, 'etag mismatch', 'save');
      return;
    }
    const firstWrite = req.options?.concurrency === 'first-write';
    const sql = firstWrite
      ? withTtl
        ? this.sql.insertFirstTtl
        : this.sql.insertFirst
      : withTtl
        ? this.sql.upsertTtl
        : this.sql.upsert;
    res = await this.run(db, sql, withTtl ? [req.key, value, req.isBinary, ttl] : [req.key, value, req.isBinary]);
    // Only a first-write upsert can touch no row: the key exists and has not expired.
    if (res.rowCount !== 1) throw new ETagMismatchError(req.key, 'item already exists and no etag was passed', 'save');
  }

  private async doDelete(db: Queryable, req: StateDeleteRequest): Promise<void> {
    if (!req.etag) {
      await this.run(db, this.sql.delete, [req.key]);
      return;
    }
    const res = await this.run(db, this.sql.deleteEtag, [req.key, parseXmin(req.etag, req.key, 'delete')]);
    if (res.rowCount !== 1) throw new ETagMismatchError(req.key, 'etag mismatch', 'delete');
  }

  private run<R extends object = object>(db: Queryable, stmt: PreparedStatement, values: unknown[]): Promise<QueryResult<R>> {
    return db.query<R>({ name: stmt.name, text: stmt.text, values } as QueryConfig<unknown[]>) as unknown as Promise<QueryResult<R>>;
  }
}

function toResponse(row: Row): StateGetResponse {
  const res: StateGetResponse = { data: decodeStoredValue(row.value, row.isbinary), etag: row.etag };
  if (row.isbinary) res.isBinary = true;
  if (row.expiredate) res.metadata = expireTimeMetadata(row.expiredate);
  return res;
}

/** ETags are `xmin` values: decimal uint32, as Dapr parses them (`strconv.ParseUint(etag, 10, 32)`). */
export function parseXmin(etag: string, key?: string, operation: 'save' | 'delete' | 'transaction' = 'save'): string {
  if (!/^\d{1,10}$/.test(etag) || Number(etag) > MAX_XID) {
    throw new ETagInvalidError(key, `"${etag}" is not a PostgreSQL xmin (an unsigned 32-bit integer)`, operation);
  }
  return String(Number(etag));
}

/**
 * The TTL the block parsed into `ttlInSeconds`; a caller that only put
 * `ttlInSeconds` in the metadata gets it parsed here with Dapr's `ParseTTL` rules
 * (an integer from -1, never expire, to 2^31-1).
 */
function ttlOf(req: StateSetRequest): number | undefined {
  if (req.ttlInSeconds !== undefined) return req.ttlInSeconds;
  const raw = req.metadata?.ttlInSeconds;
  if (raw === undefined || raw === '') return undefined;
  const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= -1 && n <= 2_147_483_647)) {
    throw new StateRequestInvalidError(`metadata ttlInSeconds "${raw}" is not an integer from -1 to 2147483647`);
  }
  return n;
}
