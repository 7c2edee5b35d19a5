import type { ConfigurationItems } from '../../spi/configuration.spi';
import type { RedisClient } from './redis-connection';

/** Dapr's Redis configuration format (`configuration/redis/internal`): a string key holding `value||version`. */
const SEPARATOR = '||';
const KEYSPACE_PREFIX = '__keyspace@';

/** Splits `value||version` as Go's strings.Split does: the first part is the value, the second the version, the rest ignored. */
export function parseConfigurationValue(raw: string): { value: string; version: string } {
  const parts = raw.split(SEPARATOR);
  return { value: parts[0], version: parts.length > 1 ? parts[1] : '' };
}

/** `__keyspace@<db>__:<key>`, the channel Redis notifies changes of `key` on. */
export function keyspaceChannel(key: string, db: number): string {
  return `${KEYSPACE_PREFIX}${db}__:${key}`;
}

/** The key a keyspace channel is about, or undefined for another database's channel. */
export function keyOfChannel(channel: string, db: number): string | undefined {
  const prefix = `${KEYSPACE_PREFIX}${db}__:`;
  return channel.startsWith(prefix) ? channel.slice(prefix.length) : undefined;
}

/**
 * Reads items as Dapr's store does: `keys`, or every key (`KEYS *`) when
 * empty; keys that do not exist, that hold another type than a string, or
 * whose value is empty are left out. One MGET on a single node (it answers
 * nil for both missing and non-string keys); one GET per key on a cluster,
 * where a multi-key command must stay in one slot.
 */
export async function readConfigurationItems(client: RedisClient, keys: readonly string[], cluster: boolean): Promise<ConfigurationItems> {
  const list = keys.length ? [...keys] : await client.keys('*');
  const items: ConfigurationItems = {};
  if (list.length === 0) return items;
  const raw = cluster ? await Promise.all(list.map((k) => client.get(k).catch(nullOnWrongType))) : await client.mget(list);
  for (let i = 0; i < list.length; i++) {
    const v = raw[i];
    if (v === null || v === undefined) continue;
    const parsed = parseConfigurationValue(v);
    if (parsed.value !== '') items[list[i]] = { ...parsed, metadata: {} };
  }
  return items;
}

function nullOnWrongType(err: Error): null {
  if (/WRONGTYPE/.test(err.message)) return null;
  throw err;
}

/** The keyspace event classes Dapr enables: K (keyspace channel), g (generic: DEL, EXPIRE...), $ (strings), x (expired), e (evicted). */
const NEEDED_FLAGS = 'Kg$xe';
/** Classes `A` stands for in notify-keyspace-events. */
const ALL_CLASSES = 'g$lshzxetdmn';

/**
 * The notify-keyspace-events value that adds Dapr's classes to the server's
 * current one, or undefined when nothing is missing. Dapr overwrites the
 * setting with `Kg$xe`; merging keeps what other clients of a shared server
 * turned on (a superset, so every event Dapr would see is still sent).
 */
export function mergedKeyspaceFlags(current: string): string | undefined {
  const has = (c: string) => current.includes(c) || (current.includes('A') && ALL_CLASSES.includes(c));
  const missing = [...NEEDED_FLAGS].filter((c) => !has(c)).join('');
  return missing ? current + missing : undefined;
}
