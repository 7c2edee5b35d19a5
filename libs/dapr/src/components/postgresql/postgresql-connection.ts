import { availableParallelism } from 'node:os';
import type { PoolConfig } from 'pg';
import { MissingMetadataError } from '../../errors/component-config.error';
import { parseDuration } from '../../spi/kit/duration';
import { MetadataReader } from '../../spi/kit/metadata-reader';
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

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_CLEANUP_MS = 3_600_000;

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
  const r = new MetadataReader(md.name, md.properties);
  const base = parsePostgresSettings(md, r);
  const tableName = identifier(r, 'tableName', 'state');
  const metadataTableName = identifier(r, 'metadataTableName', 'dapr_metadata');
  if (tableName.toLowerCase() === metadataTableName.toLowerCase()) {
    throw r.error('metadataTableName', 'must differ from tableName');
  }
  const cleanup = goDurationMs(r, ['cleanupInterval', 'cleanupIntervalInSeconds'], DEFAULT_CLEANUP_MS);
  return { ...base, tableName, metadataTableName, cleanupIntervalMs: cleanup > 0 ? cleanup : undefined };
}

export function parsePostgresSettings(md: ComponentMetadata, r = new MetadataReader(md.name, md.properties)): PostgresSettings {
  const connectionString = r.string('connectionString');
  if (!connectionString) throw new MissingMetadataError(md.name, 'connectionString');
  let conn: PoolConfig;
  try {
    conn = parseConnectionString(connectionString);
  } catch (err) {
    throw r.error('connectionString', (err as Error).message);
  }
  const timeoutMs = goDurationMs(r, ['timeout', 'timeoutInSeconds'], DEFAULT_TIMEOUT_MS);
  if (timeoutMs < 1000) throw r.error('timeout', 'must be at least 1s');
  // pgx's default pool size is max(4, CPUs); Dapr only overrides it when maxConns > 1.
  const maxConns = r.int('maxConns', 0, 0);
  const idleMs = goDurationMs(r, ['connectionMaxIdleTime'], 0);
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

function identifier(r: MetadataReader, field: string, fallback: string): string {
  const value = r.string(field)?.trim() ?? fallback;
  if (!isValidIdentifier(value)) {
    throw r.error(field, `"${value}" is not a valid table name (letters, digits and _, optionally schema.table)`);
  }
  return value;
}

/**
 * Dapr decodes these durations with dapr/kit: a Go duration (`30s`, `1h`) or a
 * bare integer meaning seconds. A negative value is allowed (it disables the
 * cleanup), so it is handled before Go-duration parsing.
 */
function goDurationMs(r: MetadataReader, names: string[], fallback: number): number {
  const raw = r.string(...names)?.trim();
  if (raw === undefined) return fallback;
  if (/^-?\d+$/.test(raw)) return Number(raw) * 1000;
  const negative = raw.startsWith('-');
  const ms = parseDuration(negative ? raw.slice(1) : raw);
  if (ms === undefined) throw r.error(names[0], `"${raw}" is not a duration (e.g. 30s, 1h) or a number of seconds`);
  return negative ? -ms : ms;
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
