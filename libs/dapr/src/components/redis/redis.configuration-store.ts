import { Logger } from '@nestjs/common';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { ConfigurationItems, ConfigurationStoreDriver, ConfigurationUnsubscribe, ConfigurationUpdateHandler } from '../../spi/configuration.spi';
import { SubscriptionSet } from '../../spi/kit/subscription-set';
import { ConfigurationWatch, DELETED_ITEM } from '../../spi/kit/configuration-watch';
import { closeRedis, connectRedis, parseRedisSettings, type RedisClient, type RedisSettings } from './redis-connection';
import { keyOfChannel, keyspaceChannel, mergedKeyspaceFlags, readConfigurationItems } from './redis-configuration.values';

/** How long a resync waits before trying again when the server is back for the subscriber but not yet for reads. */
const RESYNC_RETRY_MS = 500;

/**
 * `configuration.redis` with Dapr's semantics (components-contrib
 * `configuration/redis`): items are string keys holding `value||version`;
 * a subscription listens on the keys' keyspace channels (all keys: a pattern
 * subscription) and answers every notification with a fresh read of the key
 * (an empty item when it is gone). Each subscription has its own connection;
 * when it comes back after a disconnect or a server restart the driver turns
 * keyspace notifications on again (a restarted server forgot them) and re-reads
 * the keys, reporting what changed meanwhile.
 */
export class RedisConfigurationStore implements ConfigurationStoreDriver {
  private readonly logger = new Logger('DaprConfiguration');
  private client?: RedisClient;
  private settings!: RedisSettings;
  private name = '';
  private type = 'configuration.redis';
  private readonly subscriptions = new SubscriptionSet();
  private flagsWarned = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    this.type = md.type;
    this.settings = parseRedisSettings(md);
    // Dapr's configuration store backs off up to 2s between reconnects (its legacy default).
    if (!hasProperty(md.properties, 'redisMaxRetryInterval')) this.settings.maxRetryIntervalMs = 2000;
    this.client = await connectRedis(md.type, this.settings);
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.redis().ping();
  }

  get(keys: readonly string[]): Promise<ConfigurationItems> {
    return readConfigurationItems(this.redis(), keys, this.settings.type === 'cluster');
  }

  async subscribe(keys: readonly string[], _metadata: Record<string, string>, onUpdate: ConfigurationUpdateHandler): Promise<ConfigurationUnsubscribe> {
    const sub = new RedisConfigurationSubscription(this, keys, onUpdate);
    // Started with the kit's bookkeeping: a subscription that fails to start is stopped and forgotten.
    const handle = await this.subscriptions.start(sub);
    return () => handle.stop();
  }

  async close(): Promise<void> {
    await this.subscriptions.stopAll();
    await closeRedis(this.client);
    this.client = undefined;
  }

  /** @internal The command connection (reads, CONFIG). */
  redis(): RedisClient {
    if (!this.client) throw new Error(`configuration store "${this.name}" is closed`);
    return this.client;
  }

  /** @internal */
  get db(): number {
    return this.settings.db;
  }

  /** @internal */
  get cluster(): boolean {
    return this.settings.type === 'cluster';
  }

  /** @internal A subscriber connection with the component's settings. */
  openSubscriber(): Promise<RedisClient> {
    return connectRedis(this.type, { ...this.settings, connectionName: `${this.settings.connectionName}.sub` });
  }

  /**
   * @internal Turns on the keyspace classes Dapr needs (CONFIG SET
   * notify-keyspace-events, merged with the current value). Failures are
   * ignored as Dapr ignores them (managed Redis often forbids CONFIG), with one
   * warning saying what to set on the server instead.
   */
  async enableKeyspaceEvents(): Promise<void> {
    try {
      const current = (await this.redis().config('GET', 'notify-keyspace-events')) as string[];
      const merged = mergedKeyspaceFlags(current?.[1] ?? '');
      if (merged !== undefined) await this.redis().config('SET', 'notify-keyspace-events', merged);
    } catch (err) {
      if (!this.flagsWarned) {
        this.flagsWarned = true;
        this.logger.warn(
          `configuration store "${this.name}": could not turn on keyspace notifications (${(err as Error).message}); ` +
            'set notify-keyspace-events to include Kg$xe on the server or subscriptions see no changes',
        );
      }
    }
  }

  /** @internal */
  warn(message: string): void {
    this.logger.warn(`configuration store "${this.name}": ${message}`);
  }
}

/** One subscription: its own subscriber connection, the watch that delivers in order, the resync after reconnects. */
class RedisConfigurationSubscription {
  private subscriber?: RedisClient;
  private readonly watch: ConfigurationWatch;
  /** Reads after notifications, chained so that a key's changes are reported in order. */
  private reads: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;
  private resyncing = false;

  constructor(
    private readonly store: RedisConfigurationStore,
    keys: readonly string[],
    onUpdate: ConfigurationUpdateHandler,
  ) {
    this.watch = new ConfigurationWatch(keys, onUpdate, (err) => store.warn(`update handler failed: ${(err as Error)?.message ?? String(err)}`));
  }

  async start(): Promise<void> {
    const subscriber = await this.store.openSubscriber();
    this.subscriber = subscriber;
    const db = this.store.db;
    const onChannel = (channel: string) => {
      const key = keyOfChannel(channel, db);
      if (key !== undefined && this.watch.wants(key)) this.changed(key);
    };
    subscriber.on('message', (channel: string) => onChannel(channel));
    subscriber.on('pmessage', (_pattern: string, channel: string) => onChannel(channel));
    // ioredis subscribes again by itself after a reconnect; 'ready' then means the channels are back.
    subscriber.on('ready', () => {
      if (this.started && !this.stopped) void this.resync();
    });
    if (this.watch.keys.length === 0) await subscriber.psubscribe(keyspaceChannel('*', db));
    else await subscriber.subscribe(...this.watch.keys.map((k) => keyspaceChannel(k, db)));
    await this.store.enableKeyspaceEvents();
    // What the keys hold now: a resync after a reconnect reports what differs from it.
    this.watch.remember(await this.store.get(this.watch.keys));
    this.started = true;
  }

  /** A keyspace event for `key`: read it (in order with earlier events) and report it, empty when it is gone. */
  private changed(key: string): void {
    this.reads = this.reads.then(async () => {
      if (this.stopped) return;
      try {
        const items = await this.store.get([key]);
        void this.watch.deliver(key in items ? items : { [key]: DELETED_ITEM });
      } catch (err) {
        // The server went away right after notifying: the resync after the reconnect reports the change.
        this.store.warn(`reading "${key}" after a change failed: ${(err as Error).message}`);
      }
    });
  }

  /** After a reconnect: notifications on again, then a fresh read compared with what was last seen. */
  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      while (!this.stopped) {
        try {
          await this.store.enableKeyspaceEvents();
          const current = await this.store.get(this.watch.keys);
          await (this.reads = this.reads.then(() => void this.watch.resync(current)));
          return;
        } catch (err) {
          this.store.warn(`re-reading after a reconnect failed, trying again: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, RESYNC_RETRY_MS));
        }
      }
    } finally {
      this.resyncing = false;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.disconnect();
    await this.reads;
    await this.watch.stop();
  }
}

function hasProperty(props: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(props).some((k) => k.toLowerCase() === lower && props[k] !== '');
}
