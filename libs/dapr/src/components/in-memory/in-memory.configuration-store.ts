import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  ConfigurationItems,
  ConfigurationStoreDriver,
  ConfigurationStoreItem,
  ConfigurationUnsubscribe,
  ConfigurationUpdateHandler,
} from '../../spi/configuration.spi';
import { ConfigurationWatch, DELETED_ITEM } from '../../spi/kit/configuration-watch';

/** An item to write: the value alone, or value with version and metadata. */
export type InMemoryConfigurationInput = string | { value: string; version?: string; metadata?: Record<string, string> };

/**
 * A configuration store in the process, for tests and local runs: items are
 * written with `set`/`delete` (DaprTestHarness.setConfiguration does) and
 * every subscription watching a written key is told at once. Lost on restart.
 */
export class InMemoryConfigurationStore implements ConfigurationStoreDriver {
  private readonly items = new Map<string, ConfigurationStoreItem>();
  private readonly watches = new Set<ConfigurationWatch>();

  async init(_md: ComponentMetadata): Promise<void> {}

  features(): readonly string[] {
    return [];
  }

  async get(keys: readonly string[]): Promise<ConfigurationItems> {
    const out: ConfigurationItems = {};
    for (const key of keys.length ? keys : this.items.keys()) {
      const item = this.items.get(key);
      if (item) out[key] = copy(item);
    }
    return out;
  }

  async subscribe(keys: readonly string[], _metadata: Record<string, string>, onUpdate: ConfigurationUpdateHandler): Promise<ConfigurationUnsubscribe> {
    const watch = new ConfigurationWatch(keys, onUpdate, () => undefined);
    this.watches.add(watch);
    return async () => {
      this.watches.delete(watch);
      await watch.stop();
    };
  }

  /** Writes items (a version defaults to one more than the item's last numeric version) and notifies watchers; resolves once they ran. */
  async set(items: Record<string, InMemoryConfigurationInput>): Promise<void> {
    const written: ConfigurationItems = {};
    for (const [key, input] of Object.entries(items)) {
      const given = typeof input === 'string' ? { value: input } : input;
      const previous = Number(this.items.get(key)?.version);
      const version = given.version ?? String(Number.isInteger(previous) ? previous + 1 : 1);
      const item = { value: given.value, version, metadata: { ...given.metadata } };
      this.items.set(key, item);
      written[key] = item;
    }
    await this.notify(written);
  }

  /** Removes keys; watchers get them as deleted (empty) items. */
  async delete(keys: string[]): Promise<void> {
    const removed: ConfigurationItems = {};
    for (const key of keys) if (this.items.delete(key)) removed[key] = DELETED_ITEM;
    await this.notify(removed);
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.stop()));
    this.watches.clear();
  }

  private async notify(items: ConfigurationItems): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const watch of this.watches) {
      const mine: ConfigurationItems = {};
      let any = false;
      for (const key in items) {
        if (watch.wants(key)) {
          mine[key] = copy(items[key]);
          any = true;
        }
      }
      if (any) runs.push(watch.deliver(mine));
    }
    await Promise.all(runs);
  }
}

function copy(item: ConfigurationStoreItem): ConfigurationStoreItem {
  return { value: item.value, version: item.version, metadata: { ...item.metadata } };
}
