import { Logger } from '@nestjs/common';
import type { Client, Notification, Pool } from 'pg';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { ConfigurationItems, ConfigurationStoreDriver, ConfigurationUnsubscribe, ConfigurationUpdateHandler } from '../../spi/configuration.spi';
import { SubscriptionSet } from '../../spi/kit/subscription-set';
import { ConfigurationWatch } from '../../spi/kit/configuration-watch';
import { loadPackage } from '../../spi/kit/load-package';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { parsePostgresSettings, type PostgresSettings } from './postgresql-connection';
import { identifierProblem, invalidKey, itemFromNotification, itemsFromRows, selectItems, type ConfigurationRow } from './postgresql-configuration.sql';
import { POSTGRESQL_CONFIGURATION_METADATA } from './postgresql.metadata';

type Pg = typeof import('pg');

/** Reconnect back-off of a subscription's LISTEN connection. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * `configuration.postgresql` with Dapr's semantics (components-contrib
 * `configuration/postgres`): Dapr's table (`KEY`, `VALUE`, `VERSION`,
 * `METADATA`), which must exist at start-up; a subscription LISTENs on the
 * channel of the component's `notifyChannel` or the request's
 * `pgNotifyChannel` on a connection of its own and reports the row each
 * notification of the documented trigger carries. When that connection drops
 * (a server restart), it reconnects with back-off, LISTENs again and re-reads
 * the keys, reporting what changed meanwhile.
 */
export class PostgresConfigurationStore implements ConfigurationStoreDriver {
  private readonly logger = new Logger('DaprConfiguration');
  private pg!: Pg;
  private pool?: Pool;
  private settings!: PostgresSettings;
  private table = '';
  private notifyChannel = '';
  private name = '';
  private readonly subscriptions = new SubscriptionSet();

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    const m = decodeMetadata(POSTGRESQL_CONFIGURATION_METADATA, md, { warn: (w) => this.logger.warn(w) });
    this.table = m.table.trim();
    const tableProblem = identifierProblem('table', this.table);
    if (tableProblem) throw metadataError(md, 'table', tableProblem);
    this.notifyChannel = (m.notifyChannel ?? '').trim();
    const channelProblem = this.notifyChannel ? identifierProblem('notifyChannel', this.notifyChannel) : undefined;
    if (channelProblem) throw metadataError(md, 'notifyChannel', channelProblem);
    this.settings = parsePostgresSettings(md, { ...m, connectionMaxIdleTime: m.connectionMaxIdleTime ?? m.connMaxIdleTime });
    this.pg = await loadPackage<Pg>(md.type, 'pg');
    const pool = new this.pg.Pool(this.settings.pool);
    // An idle client losing its connection emits here; the pool replaces it on the next query.
    pool.on('error', () => undefined);
    this.pool = pool;
    try {
      const res = await pool.query<{ exists: boolean }>('SELECT EXISTS (SELECT FROM pg_tables WHERE tablename = $1)', [this.table]);
      if (!res.rows[0]?.exists) throw new Error(`postgreSQL configuration table '${this.table}' does not exist`);
    } catch (err) {
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  features(): readonly string[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.db().query('SELECT 1');
  }

  async get(keys: readonly string[]): Promise<ConfigurationItems> {
    const bad = invalidKey(keys);
    if (bad !== undefined) throw new Error(`invalid key : '${bad}'`);
    const res = await this.db().query<ConfigurationRow>(selectItems(this.table, keys));
    return itemsFromRows(res.rows);
  }

  async subscribe(keys: readonly string[], metadata: Record<string, string>, onUpdate: ConfigurationUpdateHandler): Promise<ConfigurationUnsubscribe> {
    const channel = this.channelFor(metadata);
    const sub = new PostgresConfigurationSubscription(this, channel, keys, onUpdate);
    // Started with the kit's bookkeeping: a subscription that fails to start is stopped and forgotten.
    const handle = await this.subscriptions.start(sub);
    return () => handle.stop();
  }

  async close(): Promise<void> {
    await this.subscriptions.stopAll();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** The component's channel wins; else the request's `pgNotifyChannel` (any case), as Dapr does. */
  private channelFor(metadata: Record<string, string>): string {
    let channel = this.notifyChannel;
    if (!channel) {
      for (const k of Object.keys(metadata)) {
        if (k.toLowerCase() === 'pgnotifychannel') {
          channel = metadata[k];
          break;
        }
      }
    }
    if (!channel) throw new Error(`unable to subscribe to "${this.table}". notifyChannel must be set in component metadata or request metadata`);
    const problem = identifierProblem('notifyChannel', channel);
    if (problem) throw new Error(`invalid notifyChannel: ${problem}`);
    return channel;
  }

  private db(): Pool {
    if (!this.pool) throw new Error(`configuration store "${this.name}" is closed`);
    return this.pool;
  }

  /** @internal A new connection of its own for LISTEN. */
  async openListener(): Promise<Client> {
    const client = new this.pg.Client({ ...this.settings.pool, statement_timeout: undefined });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** @internal */
  warn(message: string): void {
    this.logger.warn(`configuration store "${this.name}": ${message}`);
  }
}

/** One subscription: its LISTEN connection, the watch that delivers in order, the reconnect loop. */
class PostgresConfigurationSubscription {
  private client?: Client;
  private readonly watch: ConfigurationWatch;
  private stopped = false;
  private reconnecting?: Promise<void>;

  constructor(
    private readonly store: PostgresConfigurationStore,
    private readonly channel: string,
    keys: readonly string[],
    onUpdate: ConfigurationUpdateHandler,
  ) {
    this.watch = new ConfigurationWatch(keys, onUpdate, (err) => store.warn(`update handler failed: ${(err as Error)?.message ?? String(err)}`));
  }

  async start(): Promise<void> {
    await this.listen();
    this.watch.remember(await this.store.get(this.watch.keys));
  }

  /** Opens the connection and LISTENs; a drop of it starts the reconnect loop. */
  private async listen(): Promise<void> {
    const client = await this.store.openListener();
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    client.on('notification', (msg: Notification) => this.notified(msg));
    client.once('end', () => {
      if (this.client === client) this.client = undefined;
      if (!this.stopped) this.reconnect();
    });
    // The channel passed Dapr's name rules (lower case letters, digits, . / _), so it is safe unquoted here.
    await client.query(`LISTEN ${this.channel}`);
  }

  private notified(msg: Notification): void {
    if (msg.channel !== this.channel || msg.payload === undefined) return;
    const row = itemFromNotification(msg.payload);
    if (!row) {
      this.store.warn(`unknown format of data received in notify event - '${msg.payload}'`);
      return;
    }
    if (this.watch.wants(row.key)) void this.watch.deliver({ [row.key]: row.item });
  }

  /** Back-off until a new connection LISTENs, then a re-read reports what changed while none did. */
  private reconnect(): void {
    this.reconnecting ??= (async () => {
      let delay = RECONNECT_MIN_MS;
      while (!this.stopped) {
        await new Promise((r) => setTimeout(r, delay));
        if (this.stopped) break;
        try {
          await this.listen();
          await this.watch.resync(await this.store.get(this.watch.keys));
          // The new connection may have dropped while re-reading: then go round again.
          if (this.client) break;
        } catch (err) {
          this.store.warn(`reconnecting the LISTEN connection: ${(err as Error).message}`);
          delay = Math.min(delay * 2, RECONNECT_MAX_MS);
          // A connection that listens but could not re-read is dropped: its 'end' would start another loop.
          const client = this.client;
          this.client = undefined;
          if (client) {
            client.removeAllListeners('end');
            await client.end().catch(() => undefined);
          }
        }
      }
      this.reconnecting = undefined;
    })();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
    await this.watch.stop();
  }
}
