import type { ConfigurationItems, ConfigurationStoreItem } from '../../spi/configuration.spi';

/** Dapr's rules for names that go into SQL text (`configuration/postgres`). */
const TABLE_NAME = /^[a-z0-9./_]*$/;
const KEY = /^[a-zA-Z0-9./_]*$/;
/** PostgreSQL's identifier limit as Dapr counts it. */
export const MAX_IDENTIFIER_LENGTH = 64;

/** Why a table or channel name is refused, or undefined when Dapr accepts it. */
export function identifierProblem(kind: 'table' | 'notifyChannel', name: string): string | undefined {
  if (name.length > MAX_IDENTIFIER_LENGTH) return `"${name}" is too long (at most ${MAX_IDENTIFIER_LENGTH} characters)`;
  if (!TABLE_NAME.test(name)) return `"${name}" is not a valid ${kind === 'table' ? 'table' : 'channel'} name: non-alphanumerics or upper cased names are not supported`;
  return undefined;
}

/** Keys are bound as parameters, but Dapr still refuses any other characters; so does this store. */
export function invalidKey(keys: readonly string[]): string | undefined {
  return keys.find((k) => !KEY.test(k));
}

/** The read of Dapr's GetConfiguration: every row, or the rows of `keys`. */
export function selectItems(table: string, keys: readonly string[]): { text: string; values: unknown[] } {
  const columns = `SELECT key, value, version, metadata FROM ${table}`;
  return keys.length ? { text: `${columns} WHERE key = ANY($1)`, values: [[...keys]] } : { text: columns, values: [] };
}

export interface ConfigurationRow {
  key: string;
  value: string | null;
  version: string | null;
  metadata: unknown;
}

/**
 * Rows to items as Dapr's `getUniqueItemPerKey`: with several rows for one
 * key, the first one read stays unless a later one has a higher numeric
 * version (a version that is not an integer counts as -1).
 */
export function itemsFromRows(rows: readonly ConfigurationRow[]): ConfigurationItems {
  const items: ConfigurationItems = {};
  const best = new Map<string, number>();
  for (const row of rows) {
    const item: ConfigurationStoreItem = { value: row.value ?? '', version: row.version ?? '', metadata: metadataOf(row.metadata) };
    const numeric = numericVersion(item.version);
    if (!(row.key in items) || numeric > best.get(row.key)!) {
      items[row.key] = item;
      best.set(row.key, numeric);
    }
  }
  return items;
}

/** Go's strconv.Atoi, -1 when it fails. */
function numericVersion(version: string): number {
  return /^[+-]?\d+$/.test(version) && Number.isSafeInteger(Number(version)) ? Number(version) : -1;
}

/** The METADATA json as string values (Dapr expects strings; anything else is kept as its JSON text). */
export function metadataOf(value: unknown): Record<string, string> {
  let parsed = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      return {};
    }
  }
  const out: Record<string, string> = {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return out;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/**
 * The item of a notification the documented trigger sends
 * (`{"table":…,"action":…,"data":<row as JSON>}`), read as Dapr reads it:
 * the row's fields matched case-insensitively, whatever the action (for a
 * DELETE the row is the old one). Undefined for a payload of another shape.
 */
export function itemFromNotification(payload: string): { key: string; item: ConfigurationStoreItem } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  let key: string | undefined;
  const item: ConfigurationStoreItem = { value: '', version: '', metadata: {} };
  for (const [name, v] of Object.entries(data as Record<string, unknown>)) {
    switch (name.toLowerCase()) {
      case 'key':
        key = typeof v === 'string' ? v : String(v);
        break;
      case 'value':
        item.value = typeof v === 'string' ? v : v === null ? '' : JSON.stringify(v);
        break;
      case 'version':
        item.version = typeof v === 'string' ? v : v === null ? '' : String(v);
        break;
      case 'metadata':
        item.metadata = metadataOf(v);
        break;
    }
  }
  return key === undefined ? undefined : { key, item };
}
