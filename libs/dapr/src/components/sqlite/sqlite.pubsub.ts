import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { loadPackage } from '../../spi/kit/load-package';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  BulkPublishDriverResponse,
  BulkPublishRequest,
  DeliveryOutcome,
  PubSubDriver,
  PubSubFeature,
  PubSubHandler,
  PubSubMessage,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import { schemaSql } from './sqlite-pubsub.schema';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { SQLITE_PUBSUB_METADATA } from './sqlite.metadata';

const TYPE = 'pubsub.sqlite';

interface SqlitePubSubSettings {
  file: string;
  prefix: string;
  pollMs: number;
  visibilityMs: number;
  redeliverMs: number;
  concurrency: number;
  retentionMs: number;
  busyTimeoutMs: number;
  initialOffset: 'oldest' | 'newest';
}

interface MessageRow {
  seq: number;
  topic: string;
  data: Buffer;
  metadata: string | null;
  content_type: string | null;
}

interface Settlement {
  sub: SqliteSubscription;
  seq: number;
  attempts: number;
  outcome: DeliveryOutcome;
}

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Subscriptions per database file in this process, woken at once by a local publish. */
const localSubscribers = new Map<string, Set<SqliteSubscription>>();

/**
 * `pubsub.sqlite`: a durable message queue in one SQLite file (WAL mode) that
 * every process on the machine can share. Each consumer group (`consumerID`,
 * default the app id) gets every message of a topic; inside a group, consumers
 * compete. A taken message is leased for `visibilityTimeout` (renewed while its
 * handler runs); a consumer that dies loses its leases and the messages are
 * taken again, so delivery is at-least-once. RETRY makes a message visible
 * again after `redeliverInterval`.
 *
 * Metadata: `connectionString` (file path, default `.dapr/pubsub.db`),
 * `tablePrefix` (`pubsub_`), `pollInterval` (50ms), `visibilityTimeout` (30s),
 * `redeliverInterval` (1s), `concurrency` (32 in flight per subscription),
 * `retentionPeriod` (24h), `busyTimeout` (5s), `initialOffset` (`oldest` |
 * `newest`: where a new consumer group starts).
 */
export class SqlitePubSub implements PubSubDriver {
  private db!: BetterSqlite3.Database;
  settings!: SqlitePubSubSettings;
  private readonly owner = randomUUID();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private pending: Settlement[] = [];
  private flushScheduled = false;
  private cleanupTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private closed = false;
  private wakeTurn = 0;

  private insertStmt!: BetterSqlite3.Statement;
  private ackStmt!: BetterSqlite3.Statement;
  private retryStmt!: BetterSqlite3.Statement;
  private renewStmt!: BetterSqlite3.Statement;
  stmts!: {
    hasWork: BetterSqlite3.Statement;
    visibleLeases: BetterSqlite3.Statement;
    relLease: BetterSqlite3.Statement;
    cursor: BetterSqlite3.Statement;
    newMessages: BetterSqlite3.Statement;
    addLease: BetterSqlite3.Statement;
    moveCursor: BetterSqlite3.Statement;
    message: BetterSqlite3.Statement;
    dropLease: BetterSqlite3.Statement;
    ensureGroup: BetterSqlite3.Statement;
  };

  async init(metadata: ComponentMetadata): Promise<void> {
    this.settings = readSettings(metadata);
    const Database = await loadPackage<typeof BetterSqlite3>(TYPE, 'better-sqlite3');
    mkdirSync(dirname(this.settings.file), { recursive: true });
    this.db = new Database(this.settings.file, { timeout: this.settings.busyTimeoutMs });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(schemaSql(this.settings.prefix));
    const p = this.settings.prefix;
    this.insertStmt = this.db.prepare(
      `INSERT INTO ${p}messages (topic, data, metadata, content_type, published_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.ackStmt = this.db.prepare(
      `DELETE FROM ${p}leases WHERE topic = ? AND consumer_group = ? AND seq = ? AND owner = ? AND attempts = ?`,
    );
    this.retryStmt = this.db.prepare(
      `UPDATE ${p}leases SET visible_at = ?, owner = NULL WHERE topic = ? AND consumer_group = ? AND seq = ? AND owner = ? AND attempts = ?`,
    );
    this.renewStmt = this.db.prepare(`UPDATE ${p}leases SET visible_at = ? WHERE owner = ? AND visible_at > ?`);
    this.stmts = {
      hasWork: this.db.prepare(
        `SELECT EXISTS (SELECT 1 FROM ${p}leases WHERE topic = @topic AND consumer_group = @grp AND visible_at <= @now)
             OR EXISTS (SELECT 1 FROM ${p}messages WHERE topic = @topic AND seq > (SELECT cursor FROM ${p}groups WHERE topic = @topic AND consumer_group = @grp)) AS work`,
      ),
      visibleLeases: this.db.prepare(
        `SELECT seq, attempts FROM ${p}leases WHERE topic = ? AND consumer_group = ? AND visible_at <= ? ORDER BY seq LIMIT ?`,
      ),
      relLease: this.db.prepare(
        `UPDATE ${p}leases SET visible_at = ?, attempts = attempts + 1, owner = ? WHERE topic = ? AND consumer_group = ? AND seq = ?`,
      ),
      cursor: this.db.prepare(`SELECT cursor FROM ${p}groups WHERE topic = ? AND consumer_group = ?`),
      newMessages: this.db.prepare(`SELECT seq FROM ${p}messages WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`),
      addLease: this.db.prepare(
        `INSERT OR IGNORE INTO ${p}leases (topic, consumer_group, seq, visible_at, attempts, owner) VALUES (?, ?, ?, ?, 1, ?)`,
      ),
      moveCursor: this.db.prepare(`UPDATE ${p}groups SET cursor = ? WHERE topic = ? AND consumer_group = ? AND cursor < ?`),
      message: this.db.prepare(`SELECT seq, topic, data, metadata, content_type FROM ${p}messages WHERE seq = ?`),
      dropLease: this.db.prepare(`DELETE FROM ${p}leases WHERE topic = ? AND consumer_group = ? AND seq = ?`),
      ensureGroup: this.db.prepare(
        `INSERT OR IGNORE INTO ${p}groups (topic, consumer_group, cursor)
         VALUES (@topic, @grp, CASE WHEN @offset = 'newest' THEN (SELECT COALESCE(MAX(seq), 0) FROM ${p}messages WHERE topic = @topic) ELSE 0 END)`,
      ),
    };
    this.cleanup();
    this.cleanupTimer = setInterval(() => this.cleanup(), Math.min(60_000, this.settings.retentionMs)).unref();
    const renewEvery = Math.max(100, Math.floor(this.settings.visibilityMs / 3));
    this.renewTimer = setInterval(() => this.renewLeases(), renewEvery).unref();
  }

  features(): readonly PubSubFeature[] {
    return ['BULK_PUBSUB'];
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async publish(req: PublishRequest): Promise<void> {
    this.insertStmt.run(
      req.topic,
      asBuffer(req.data),
      metadataJson(req.metadata),
      req.contentType ?? null,
      Date.now(),
    );
    this.wakeLocal(req.topic);
  }

  async bulkPublish(req: BulkPublishRequest): Promise<BulkPublishDriverResponse> {
    const now = Date.now();
    // One transaction: the batch is written completely or not at all.
    this.db.transaction(() => {
      for (const e of req.entries) {
        this.insertStmt.run(req.topic, asBuffer(e.event), metadataJson(e.metadata), e.contentType ?? null, now);
      }
    })();
    this.wakeLocal(req.topic);
    return { failedEntries: [] };
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    const group = req.metadata.consumerID ?? '';
    const offset = (req.metadata.initialOffset as 'oldest' | 'newest' | undefined) ?? this.settings.initialOffset;
    this.stmts.ensureGroup.run({ topic: req.topic, grp: group, offset });
    const sub = new SqliteSubscription(this, req.topic, group, this.owner, handler);
    this.subscriptions.add(sub);
    let set = localSubscribers.get(this.settings.file);
    if (!set) localSubscribers.set(this.settings.file, (set = new Set()));
    set.add(sub);
    sub.start();
    return {
      stop: async () => {
        sub.stop();
        localSubscribers.get(this.settings.file)?.delete(sub);
      },
    };
  }

  /** Called by a subscription for each settled message; written in one transaction per tick. */
  settle(s: Settlement): void {
    if (this.closed) return; // the lease expires and the message is taken again
    this.pending.push(s);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const retryAt = Date.now() + this.settings.redeliverMs;
    try {
      this.db.transaction(() => {
        for (const s of batch) {
          if (s.outcome === 'RETRY') this.retryStmt.run(retryAt, s.sub.topic, s.sub.group, s.seq, this.owner, s.attempts);
          else this.ackStmt.run(s.sub.topic, s.sub.group, s.seq, this.owner, s.attempts);
        }
      }).immediate();
    } catch {
      // Busy or failing database: the leases expire and the messages are redelivered.
    }
  };

  private renewLeases(): void {
    if (this.closed || this.subscriptions.size === 0) return;
    const now = Date.now();
    try {
      this.renewStmt.run(now + this.settings.visibilityMs, this.owner, now);
    } catch {
      // Retried on the next tick; a lost lease only means a duplicate delivery.
    }
  }

  private cleanup(): void {
    if (this.closed) return;
    const p = this.settings.prefix;
    try {
      this.db
        .prepare(
          `DELETE FROM ${p}messages AS m WHERE m.published_at < ?
             AND m.seq <= COALESCE((SELECT MIN(g.cursor) FROM ${p}groups g WHERE g.topic = m.topic), m.seq)
             AND NOT EXISTS (SELECT 1 FROM ${p}leases l WHERE l.topic = m.topic AND l.seq = m.seq)`,
        )
        .run(Date.now() - this.settings.retentionMs);
    } catch {
      // Another process holds the write lock; the next run catches up.
    }
  }

  private wakeLocal(topic: string): void {
    const set = localSubscribers.get(this.settings.file);
    if (!set) return;
    // Rotate who polls first so that competing consumers in one process share the work.
    const subs = [...set];
    const start = this.wakeTurn++ % subs.length;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[(start + i) % subs.length];
      if (sub.topic === topic) sub.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed || !this.db) return;
    for (const sub of this.subscriptions) {
      sub.stop();
      localSubscribers.get(this.settings.file)?.delete(sub);
    }
    this.flush();
    this.closed = true;
    clearInterval(this.cleanupTimer);
    clearInterval(this.renewTimer);
    this.db.close();
  }

  /** Takes up to `limit` messages for a group: expired/redeliverable leases first, then new ones. */
  claim(sub: SqliteSubscription, limit: number): PubSubMessage[] {
    const s = this.stmts;
    const now = Date.now();
    // Cheap read first: idle pollers never take the write lock.
    const probe = s.hasWork.get({ topic: sub.topic, grp: sub.group, now }) as { work: number };
    if (!probe.work) return [];
    const leaseUntil = now + this.settings.visibilityMs;
    const taken: { seq: number; attempts: number }[] = [];
    this.db
      .transaction(() => {
        for (const row of s.visibleLeases.all(sub.topic, sub.group, now, limit) as { seq: number; attempts: number }[]) {
          s.relLease.run(leaseUntil, this.owner, sub.topic, sub.group, row.seq);
          taken.push({ seq: row.seq, attempts: row.attempts + 1 });
        }
        const room = limit - taken.length;
        if (room > 0) {
          const cursor = (s.cursor.get(sub.topic, sub.group) as { cursor: number } | undefined)?.cursor ?? 0;
          const fresh = s.newMessages.all(sub.topic, cursor, room) as { seq: number }[];
          for (const row of fresh) {
            s.addLease.run(sub.topic, sub.group, row.seq, leaseUntil, this.owner);
            taken.push({ seq: row.seq, attempts: 1 });
          }
          if (fresh.length) {
            const last = fresh[fresh.length - 1].seq;
            s.moveCursor.run(last, sub.topic, sub.group, last);
          }
        }
      })
      .immediate();
    const out: PubSubMessage[] = [];
    for (const t of taken) {
      const row = s.message.get(t.seq) as MessageRow | undefined;
      if (!row) {
        // Removed by retention while waiting: nothing left to deliver.
        s.dropLease.run(sub.topic, sub.group, t.seq);
        continue;
      }
      const metadata: Record<string, string> = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
      out.push({
        topic: row.topic,
        data: row.data,
        metadata,
        contentType: row.content_type ?? undefined,
        id: String(row.seq),
        // Lease token for settlement, kept off the public metadata.
        [ATTEMPTS]: t.attempts,
      } as PubSubMessage);
    }
    return out;
  }
}

const ATTEMPTS = Symbol('sqlite:attempts');

/** The poll loop of one subscription in one process. */
class SqliteSubscription {
  private inflight = 0;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private stopped = false;

  constructor(
    private readonly driver: SqlitePubSub,
    readonly topic: string,
    readonly group: string,
    readonly owner: string,
    private readonly handler: PubSubHandler,
  ) {}

  start(): void {
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
  }

  /** Polls on the next tick (a local publish, or room freed by a finished handler). */
  wake(): void {
    if (this.stopped || this.immediate) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = setImmediate(this.poll);
  }

  private readonly poll = (): void => {
    this.immediate = undefined;
    if (this.stopped) return;
    const { concurrency, pollMs } = this.driver.settings;
    const room = concurrency - this.inflight;
    let got = 0;
    if (room > 0) {
      let batch: PubSubMessage[] = [];
      try {
        batch = this.driver.claim(this, room);
      } catch {
        // SQLITE_BUSY beyond busy_timeout: try again on the next tick.
      }
      got = batch.length;
      for (const msg of batch) this.dispatch(msg);
    }
    if (this.stopped) return;
    if (got > 0 && got === room) return; // resumed by wake() when a handler frees room
    this.timer = setTimeout(this.poll, pollMs);
  };

  private dispatch(msg: PubSubMessage): void {
    this.inflight++;
    const attempts = (msg as unknown as Record<symbol, number>)[ATTEMPTS];
    const seq = Number(msg.id);
    const done = (outcome: DeliveryOutcome) => {
      this.inflight--;
      this.driver.settle({ sub: this, seq, attempts, outcome });
      if (this.inflight === this.driver.settings.concurrency - 1) this.wake();
    };
    this.handler(msg).then(done, () => done('RETRY'));
  }
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function metadataJson(metadata: Record<string, string> | undefined): string | null {
  if (!metadata || metadata === EMPTY) return null;
  for (const _ in metadata) return JSON.stringify(metadata);
  return null;
}

function readSettings(meta: ComponentMetadata): SqlitePubSubSettings {
  const m = decodeMetadata(SQLITE_PUBSUB_METADATA, meta);
  const atLeast = (field: 'pollInterval' | 'visibilityTimeout' | 'retentionPeriod', min: number): number => {
    if (m[field] < min) throw metadataError(meta, field, `must be at least ${min} ms, got ${m[field]} ms`);
    return m[field];
  };
  let file = m.connectionString || '.dapr/pubsub.db';
  if (file.startsWith('file:')) file = file.slice(5);
  const q = file.indexOf('?');
  if (q >= 0) file = file.slice(0, q);
  const prefix = m.tablePrefix;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw metadataError(meta, 'tablePrefix', `"${prefix}" must be letters, digits and _`);
  if (m.redeliverInterval < 0) throw metadataError(meta, 'redeliverInterval', 'must not be negative');
  return {
    file: resolve(file),
    prefix,
    pollMs: atLeast('pollInterval', 1),
    visibilityMs: atLeast('visibilityTimeout', 100),
    redeliverMs: m.redeliverInterval,
    concurrency: m.concurrency,
    retentionMs: atLeast('retentionPeriod', 1000),
    busyTimeoutMs: Math.max(0, m.busyTimeout),
    initialOffset: m.initialOffset,
  };
}
