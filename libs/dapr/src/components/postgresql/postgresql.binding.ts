import type { Pool, PoolConfig } from 'pg';
import { BindingInvokeError, BindingRequestError } from '../../errors/bindings.errors';
import { loadPackage } from '../../spi/kit/load-package';
import type { InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { POSTGRESQL_BINDING_METADATA } from './postgresql.metadata';

type Pg = typeof import('pg');

const OPERATIONS = ['exec', 'query', 'close'] as const;

/**
 * `bindings.postgresql` (components-contrib `bindings/postgres`). Request
 * metadata `sql` plus `params`, a JSON array bound as $1, $2... — values are
 * only ever sent as bind parameters, never spliced into the SQL text.
 * `exec` answers with no data and metadata `rows-affected`; `query` answers
 * with a JSON array of rows, each an array of column values (Dapr's
 * `rows.Values()`; `null` when there are no rows). Both add `operation`,
 * `sql`, `start-time`, `end-time` (RFC 3339) and `duration` (Go format).
 */
export class PostgresBinding implements OutputBindingDriver {
  private name = '';
  private pool?: Pool;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    const m = decodeMetadata(POSTGRESQL_BINDING_METADATA, md);
    const pg = await loadPackage<Pg>(md.type, 'pg');
    const config: PoolConfig = {
      ...parseConnection(m.connectionString),
      max: m.maxConns > 0 ? m.maxConns : 10,
      connectionTimeoutMillis: m.connectionTimeout,
    };
    const pool = new pg.Pool(config);
    // Idle-client errors (backend restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    this.pool = pool;
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      // pg's messages do not include the password; the connection string is never echoed.
      throw new Error(`cannot connect to PostgreSQL: ${(err as Error).message}`);
    }
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async ping(): Promise<void> {
    await this.db().query('SELECT 1');
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const op = req.operation.toLowerCase();
    if (op === 'close') {
      await this.close();
      return {};
    }
    if (op !== 'exec' && op !== 'query') {
      throw new BindingRequestError(this.name, req.operation, `unsupported operation; supported: ${OPERATIONS.join(', ')}`);
    }
    const sql = req.metadata.sql;
    if (!sql) throw new BindingRequestError(this.name, req.operation, 'required metadata "sql" is missing');
    const params = this.params(req);
    const startNs = process.hrtime.bigint();
    const startTime = new Date();
    let result: { rowCount: number | null; rows: unknown[] };
    try {
      result =
        op === 'query'
          ? await this.db().query({ text: sql, values: params, rowMode: 'array' })
          : await this.db().query({ text: sql, values: params });
    } catch (err) {
      throw new BindingInvokeError(this.name, req.operation, (err as Error).message, {}, { cause: err });
    }
    const endTime = new Date();
    const metadata: Record<string, string> = {
      operation: op,
      sql,
      'start-time': startTime.toISOString(),
      'end-time': endTime.toISOString(),
      duration: goDuration(process.hrtime.bigint() - startNs),
    };
    if (op === 'exec') {
      metadata['rows-affected'] = String(result.rowCount ?? 0);
      return { metadata };
    }
    const rows = result.rows.length ? result.rows : null;
    return { data: Buffer.from(JSON.stringify(rows)), metadata, contentType: 'application/json' };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private params(req: InvokeRequest): unknown[] {
    const raw = req.metadata.params;
    if (raw === undefined || raw === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BindingRequestError(this.name, req.operation, 'metadata "params" is not valid JSON');
    }
    if (!Array.isArray(parsed)) throw new BindingRequestError(this.name, req.operation, 'metadata "params" must be a JSON array');
    // Objects/arrays go in as JSON text (jsonb-compatible), scalars as they are.
    return parsed.map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v));
  }

  private db(): Pool {
    if (!this.pool) throw new BindingRequestError(this.name, 'query', 'the connection pool is closed');
    return this.pool;
  }
}

/**
 * Accepts both Dapr forms: a URL (`postgres://user:pw@host:5432/db`) or a
 * libpq keyword string (`host=... user=... password=... dbname=...`).
 */
function parseConnection(cs: string): PoolConfig {
  if (/^postgres(ql)?:\/\//i.test(cs)) return { connectionString: cs };
  const cfg: Record<string, string> = {};
  for (const m of cs.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    cfg[m[1].toLowerCase()] = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
  }
  return {
    host: cfg.host,
    port: cfg.port ? Number(cfg.port) : undefined,
    user: cfg.user,
    password: cfg.password,
    database: cfg.dbname ?? cfg.database,
    ssl: cfg.sslmode && cfg.sslmode !== 'disable' ? { rejectUnauthorized: cfg.sslmode === 'verify-full' } : undefined,
  };
}

/** Go's time.Duration.String() for positive durations (e.g. `1.2345ms`, `2.5s`). */
function goDuration(ns: bigint): string {
  const n = Number(ns);
  if (n < 1_000) return `${n}ns`;
  if (n < 1_000_000) return `${trim(n / 1_000)}µs`;
  if (n < 1_000_000_000) return `${trim(n / 1_000_000)}ms`;
  return `${trim(n / 1_000_000_000)}s`;
}

function trim(v: number): string {
  return String(Number(v.toFixed(9)));
}
