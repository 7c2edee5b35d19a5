import { availableParallelism } from 'node:os';
import type { PoolConfig } from 'pg';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { POSTGRESQL_BINDING_METADATA, POSTGRESQL_STATE_METADATA } from './postgresql.metadata';
import type { ComponentMetadata } from '../../spi/component.spi';

/**
 * Settings shared by the PostgreSQL components, read with Dapr's metadata
 * names (`cc:common/component/postgresql/v1/metadata.go` and
 * `cc:common/authentication/postgresql`).
 */
export interface PostgresSettings {
  component: string;
  /** Connection options for `pg` (host, port, user, database, ssl...). */
  pool: PoolConfig;
  /** Per-statement and connect timeout (Dapr `timeout`, default 20s, at least 1s). */
  timeoutMs: number;
}

export interface PostgresStateSettings extends PostgresSettings {
  /** Validated identifier, `table` or `schema.table` (Dapr `tableName`, default `state`). */
  tableName: string;
  /** Validated identifier (Dapr `metadataTableName`, default `dapr_metadata`). */
  metadataTableName: string;
  /** Expired-row collection period; `undefined` disables it (Dapr: a value <= 0). Default 1h. */
  cleanupIntervalMs?: number;
}


/**
 * Identifiers go into SQL text (PostgreSQL cannot bind a table name), so they
 * must be plain unquoted names: letters, digits, `_`, optionally
 * `schema.table`, each part at most 63 bytes. Unquoted, PostgreSQL folds them
 * to lower case exactly as it does for the names Dapr writes, so both find the
 * same table.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

export function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function parsePostgresStateSettings(md: ComponentMetadata): PostgresStateSettings {
  const m = decodeMetadata(POSTGRESQL_STATE_METADATA, md);
  const base = parsePostgresSettings(md, m);
  const tableName = identifier(md, 'tableName', m.tableName.trim());
  const metadataTableName = identifier(md, 'metadataTableName', m.metadataTableName.trim());
  if (tableName.toLowerCase() === metadataTableName.toLowerCase()) {
    throw metadataError(md, 'metadataTableName', 'must differ from tableName');
  }
  const cleanup = m.cleanupInterval;
  return { ...base, tableName, metadataTableName, cleanupIntervalMs: cleanup > 0 ? cleanup : undefined };
}

/** The connection part of the PostgreSQL metadata, already decoded with the component's schema. */
export interface PostgresConnectionMetadata {
  connectionString: string;
  timeout: number;
  maxConns: number;
  connectionMaxIdleTime?: number;
}

export function parsePostgresSettings(
  md: ComponentMetadata,
  m: PostgresConnectionMetadata = decodeMetadata(POSTGRESQL_BINDING_METADATA, md),
): PostgresSettings {
  let conn: PoolConfig;
  try {
    conn = parseConnectionString(m.connectionString);
  } catch (err) {
    throw metadataError(md, 'connectionString', (err as Error).message);
  }
  const timeoutMs = m.timeout;
  if (timeoutMs < 1000) throw metadataError(md, 'timeout', 'must be at least 1s');
  // pgx's default pool size is max(4, CPUs); Dapr only overrides it when maxConns > 1.
  const maxConns = m.maxConns;
  const idleMs = m.connectionMaxIdleTime ?? 0;
  const pool: PoolConfig = {
    ...conn,
    max: maxConns > 1 ? maxConns : Math.max(4, availableParallelism()),
    connectionTimeoutMillis: conn.connectionTimeoutMillis ?? timeoutMs,
    statement_timeout: timeoutMs,
    idleTimeoutMillis: idleMs > 0 ? idleMs : 10_000,
    keepAlive: true,
    application_name: conn.application_name ?? 'nest-dapr',
  };
  return { component: md.name, pool, timeoutMs };
}

function identifier(md: ComponentMetadata, field: string, value: string): string {
  if (!isValidIdentifier(value)) {
    throw metadataError(md, field, `"${value}" is not a valid table name (letters, digits and _, optionally schema.table)`);
  }
  return value;
}

/**
 * Accepts both forms Dapr (pgx) accepts: a URL (`postgres://user:pw@host:5432/db?sslmode=disable`)
 * and libpq keyword/value pairs (`host=localhost user=postgres password=x port=5432 database=db`).
 * Both end up as explicit `pg` options so that `sslmode` means the same in either form.
 */
export function parseConnectionString(text: string): PoolConfig {
  const trimmed = text.trim();
  const params = /^postgres(ql)?:\/\//i.test(trimmed) ? urlParams(trimmed) : keywordParams(trimmed);
  return toPoolConfig(params);
}

function urlParams(text: string): Map<string, string> {
  const url = new URL(text);
  const params = new Map<string, string>();
  if (url.hostname) params.set('host', decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')));
  if (url.port) params.set('port', url.port);
  if (url.username) params.set('user', decodeURIComponent(url.username));
  if (url.password) params.set('password', decodeURIComponent(url.password));
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (db) params.set('dbname', db);
  for (const [k, v] of url.searchParams) params.set(k, v);
  return params;
}

/** libpq keyword/value syntax: `key=value` separated by spaces, values optionally single-quoted with `\` escapes. */
function keywordParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  while (true) {
    skipSpace();
    if (i >= text.length) break;
    const keyStart = i;
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i])) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (text[i] !== '=' || !key) throw new Error(`expected "key=value" at "${text.slice(keyStart, keyStart + 20)}"`);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i++];
        if (c === '\\' && i < text.length) value += text[i++];
        else if (c === "'") {
          closed = true;
          break;
        } else value += c;
      }
      if (!closed) throw new Error(`unterminated quoted value for "${key}"`);
    } else {
      while (i < text.length && !/\s/.test(text[i])) {
        const c = text[i++];
        value += c === '\\' && i < text.length ? text[i++] : c;
      }
    }
    params.set(key, value);
  }
  return params;
}

function toPoolConfig(params: Map<string, string>): PoolConfig {
  const cfg: PoolConfig = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'host':
      case 'hostaddr':
        cfg.host = value;
        break;
      case 'port': {
        if (!/^\d+$/.test(value)) throw new Error(`port "${value}" is not a number`);
        cfg.port = Number(value);
        break;
      }
      case 'user':
        cfg.user = value;
        break;
      case 'password':
        cfg.password = value;
        break;
      case 'dbname':
      case 'database':
        cfg.database = value;
        break;
      case 'application_name':
        cfg.application_name = value;
        break;
      case 'options':
        cfg.options = value;
        break;
      case 'connect_timeout':
        if (/^\d+$/.test(value) && Number(value) > 0) cfg.connectionTimeoutMillis = Number(value) * 1000;
        break;
      case 'sslmode':
        cfg.ssl = sslFor(value);
        break;
      default:
        // pgx pool_* settings and libpq options pg has no equivalent for are ignored, as pgx ignores unknown runtime params.
        break;
    }
  }
  return cfg;
}

/**
 * libpq meanings: `require` encrypts without verifying the server,
 * `verify-ca`/`verify-full` verify it. `prefer`/`allow` (pgx's default is
 * prefer) try plain connections here, since `pg` cannot fall back from TLS.
 */
function sslFor(mode: string): PoolConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new Error(`sslmode "${mode}" is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
}
