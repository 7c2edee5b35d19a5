import type { Component } from './component.spi';

/**
 * One configuration item as a store reports it (components-contrib
 * `configuration.Item`): the value, its version and free-form metadata, all
 * strings. A key that was deleted (or never existed) is reported with empty
 * strings, as Dapr's Redis store does on a keyspace `del` event.
 */
export interface ConfigurationStoreItem {
  value: string;
  version: string;
  metadata: Record<string, string>;
}

/** Items by key, as `Get` returns them and an update event carries them. */
export type ConfigurationItems = Record<string, ConfigurationStoreItem>;

/**
 * Called with every change the store sees, one call at a time per
 * subscription and in the order the store saw them. A rejection is logged by
 * the block; the subscription goes on (as in Dapr, where the update handler's
 * error is only logged).
 */
export type ConfigurationUpdateHandler = (items: ConfigurationItems) => Promise<void>;

/** Stops one subscription (closes what it opened); resolves once nothing more is delivered. */
export type ConfigurationUnsubscribe = () => Promise<void>;

/**
 * A configuration store (components-contrib `configuration.Store`). The block
 * owns subscription ids and metrics; a driver reads items and watches keys.
 * A subscription must outlive a restart of the server: the driver reconnects,
 * subscribes again and re-reads the keys, reporting what changed meanwhile.
 */
export interface ConfigurationStoreDriver extends Component {
  /** Items of `keys` (every item when empty); keys that do not exist are left out. */
  get(keys: readonly string[], metadata: Record<string, string>): Promise<ConfigurationItems>;
  /** Watches `keys` (every key when empty); resolves once the watch is in place. */
  subscribe(keys: readonly string[], metadata: Record<string, string>, onUpdate: ConfigurationUpdateHandler): Promise<ConfigurationUnsubscribe>;
}

/** What a configuration store's resync compares: the same value and version means no change to report. */
export function sameConfigurationItem(a: ConfigurationStoreItem | undefined, b: ConfigurationStoreItem | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.value !== b.value || a.version !== b.version) return false;
  const ak = Object.keys(a.metadata);
  if (ak.length !== Object.keys(b.metadata).length) return false;
  return ak.every((k) => a.metadata[k] === b.metadata[k]);
}
