import { sameConfigurationItem, type ConfigurationItems, type ConfigurationStoreItem, type ConfigurationUpdateHandler } from '../configuration.spi';

/** The item a store reports for a key that no longer exists (Dapr's Redis store sends an empty item). */
export const DELETED_ITEM: ConfigurationStoreItem = Object.freeze({ value: '', version: '', metadata: Object.freeze({}) as Record<string, string> }) as ConfigurationStoreItem;

/**
 * What every configuration subscription of a driver shares: updates reach the
 * handler one at a time in arrival order, the last item seen per key is kept,
 * and after a reconnect `resync` reports only what changed while the
 * connection was down (nothing is lost silently, nothing unchanged repeated).
 * Live notifications are passed on as they come, as Dapr does, even when the
 * value did not change.
 */
export class ConfigurationWatch {
  private readonly known = new Map<string, ConfigurationStoreItem>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    /** The subscribed keys; empty means every key. */
    readonly keys: readonly string[],
    private readonly onUpdate: ConfigurationUpdateHandler,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Whether a notification about `key` concerns this subscription. */
  wants(key: string): boolean {
    return this.keys.length === 0 || this.keys.includes(key);
  }

  /** Records what a read returned (at start and after a resync) without reporting it. */
  remember(items: ConfigurationItems): void {
    for (const key in items) this.known.set(key, items[key]);
  }

  /** Reports a change the store notified. */
  deliver(items: ConfigurationItems): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.remember(items);
    return this.enqueue(items);
  }

  /**
   * Compares a fresh read of the subscribed keys with what was last seen and
   * reports the differences: changed or new items, and keys that disappeared
   * (as deleted items).
   */
  resync(current: ConfigurationItems): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const changed: ConfigurationItems = {};
    let any = false;
    for (const key in current) {
      if (!sameConfigurationItem(this.known.get(key), current[key])) {
        changed[key] = current[key];
        any = true;
      }
    }
    for (const [key, item] of this.known) {
      if (!(key in current) && !sameConfigurationItem(item, DELETED_ITEM)) {
        changed[key] = DELETED_ITEM;
        any = true;
      }
    }
    for (const key in changed) this.known.set(key, changed[key]);
    return any ? this.enqueue(changed) : Promise.resolve();
  }

  /** No more deliveries; resolves once the one running (if any) settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private enqueue(items: ConfigurationItems): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await this.onUpdate(items);
      } catch (err) {
        this.onError(err);
      }
    });
    this.queue = run;
    return run;
  }
}
