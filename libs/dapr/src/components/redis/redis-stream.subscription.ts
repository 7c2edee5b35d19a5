import type { Logger } from '@nestjs/common';
import type { DeliveryOutcome, PubSubHandler, PubSubMessage, SubscriptionHandle } from '../../spi/pubsub.spi';
import type { RedisClient } from './redis-connection';

export interface RedisStreamSubscriptionOptions {
  /** Shared connection for XGROUP, XACK, XPENDING and XCLAIM. */
  client: RedisClient;
  /** This subscription's own connection: XREADGROUP BLOCK holds a connection while it waits. */
  reader: RedisClient;
  topic: string;
  group: string;
  consumer: string;
  queueDepth: number;
  concurrency: number;
  /** Entries pending (unacked) longer than this are claimed again; 0 disables redelivery. */
  processingTimeoutMs: number;
  /** How often pending entries are checked; 0 disables redelivery. */
  redeliverIntervalMs: number;
  blockMs: number;
  handler: PubSubHandler;
  logger: Logger;
}

interface Entry {
  id: string;
  fields: Buffer[] | null;
}

/**
 * One topic (stream) consumed in Dapr's layout: consumer group = consumerID,
 * `XREADGROUP ... >` for new entries, up to `concurrency` handlers at a time
 * with at most `queueDepth` entries read ahead (no ordering, as in Dapr), and
 * a reclaim loop that takes entries pending longer than `processingTimeout`
 * (a crashed instance's, or ones the handler asked to RETRY) with XPENDING + XCLAIM, as Dapr.
 *
 * SUCCESS and DROP are acked; RETRY and a failed handler leave the entry
 * pending for redelivery. Unlike Dapr >= 1.17 a failed entry is never acked.
 */
export class RedisStreamSubscription implements SubscriptionHandle {
  private readonly queue: Entry[] = [];
  /** Ids read or claimed and not yet settled, so a reclaim never runs one twice at once. */
  private readonly owned = new Set<string>();
  private active = 0;
  private stopping = false;
  private stopped?: Promise<void>;
  private readLoop?: Promise<void>;
  private reclaimTimer?: NodeJS.Timeout;
  private reclaiming = false;
  private roomWaiter?: () => void;
  private idleWaiter?: () => void;

  constructor(private readonly o: RedisStreamSubscriptionOptions) {}

  async start(): Promise<void> {
    await this.createGroup();
    this.readLoop = this.readNew();
    if (this.o.processingTimeoutMs > 0 && this.o.redeliverIntervalMs > 0) {
      void this.reclaim();
      this.reclaimTimer = setInterval(() => void this.reclaim(), this.o.redeliverIntervalMs);
      this.reclaimTimer.unref?.();
    }
  }

  /** Stops reading, waits for running handlers (their acks included); read-ahead entries stay pending for redelivery. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      clearInterval(this.reclaimTimer);
      this.roomWaiter?.();
      this.stopped = (async () => {
        // Closing the reader aborts a blocked XREADGROUP at once.
        this.o.reader.disconnect();
        await this.readLoop;
        this.queue.length = 0;
        if (this.active > 0) await new Promise<void>((resolve) => (this.idleWaiter = resolve));
      })();
    }
    return this.stopped;
  }

  private async createGroup(): Promise<void> {
    try {
      // From id 0: a new group starts at the beginning of the stream, as in Dapr.
      await this.o.client.xgroup('CREATE', this.o.topic, this.o.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
  }

  private async readNew(): Promise<void> {
    const { reader, topic, group, consumer } = this.o;
    while (!this.stopping) {
      const room = this.o.queueDepth - this.queue.length - this.active;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.roomWaiter = resolve));
        this.roomWaiter = undefined;
        continue;
      }
      let reply: unknown;
      try {
        reply = await reader.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', room, 'BLOCK', this.o.blockMs, 'STREAMS', topic, '>');
      } catch (err) {
        if (this.stopping) break;
        const message = String((err as Error).message);
        if (message.startsWith('NOGROUP')) {
          this.o.logger.warn(`consumer group "${group}" of stream "${topic}" is gone (data loss or deleted); recreating it`);
          await this.createGroup().catch(() => undefined);
        } else {
          this.o.logger.warn(`reading stream "${topic}" failed: ${message}; retrying`);
          await delay(500);
        }
        continue;
      }
      const streams = reply as [Buffer, [Buffer, Buffer[] | null][]][] | null;
      if (!streams) continue;
      for (const [, entries] of streams) {
        for (const [id, fields] of entries) this.enqueue({ id: id.toString(), fields });
      }
    }
  }

  private enqueue(entry: Entry): void {
    if (this.owned.has(entry.id)) return;
    this.owned.add(entry.id);
    this.queue.push(entry);
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.active < this.o.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.active++;
      void this.process(entry).finally(() => {
        this.active--;
        this.owned.delete(entry.id);
        this.roomWaiter?.();
        if (this.active === 0) this.idleWaiter?.();
        this.pump();
      });
    }
  }

  private async process(entry: Entry): Promise<void> {
    const { topic, group } = this.o;
    const message = toMessage(topic, entry, this.o.logger);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.o.handler(message);
    } catch (err) {
      this.o.logger.warn(`handler for "${topic}" entry ${entry.id} failed: ${(err as Error)?.message ?? err}; left pending for redelivery`);
      outcome = 'RETRY';
    }
    if (outcome === 'RETRY') return;
    try {
      await this.o.client.xack(topic, group, entry.id);
    } catch (err) {
      // Still pending: it will be redelivered after processingTimeout (at-least-once).
      this.o.logger.warn(`XACK of "${topic}" entry ${entry.id} failed: ${(err as Error).message}`);
    }
  }

  /**
   * Claims entries idle longer than processingTimeout and runs them again, as
   * Dapr does (components-contrib `reclaimPendingMessages`): XPENDING for up to
   * queueDepth entries, XCLAIM those idle long enough, repeat while that finds
   * some. Works on every Redis with streams (XAUTOCLAIM would need 6.2). An
   * entry deleted from the stream (trimmed) comes back nil and is XACKed.
   */
  private async reclaim(): Promise<void> {
    if (this.reclaiming || this.stopping) return;
    this.reclaiming = true;
    const { client, topic, group, consumer } = this.o;
    try {
      while (!this.stopping && this.queue.length < this.o.queueDepth) {
        const room = Math.max(1, this.o.queueDepth - this.queue.length - this.active);
        const pending = (await client.call('XPENDING', topic, group, '-', '+', room)) as [string, string, number, number][];
        const ids = pending.filter(([id, , idle]) => idle >= this.o.processingTimeoutMs && !this.owned.has(id)).map(([id]) => id);
        if (ids.length === 0) break;
        const claimed = (await client.callBuffer('XCLAIM', topic, group, consumer, this.o.processingTimeoutMs, ...ids)) as (
          | [Buffer, Buffer[] | null]
          | null
        )[];
        const returned = new Set<string>();
        for (const item of claimed) {
          if (!item) continue;
          const [id, fields] = item;
          returned.add(id.toString());
          if (fields === null) await client.xack(topic, group, id);
          else this.enqueue({ id: id.toString(), fields });
        }
        // Redis < 7 answers nil for entries trimmed from the stream and keeps them pending:
        // claim each alone and ack the ones that are gone, as Dapr does.
        for (const id of ids) {
          if (returned.has(id)) continue;
          const single = (await client.callBuffer('XCLAIM', topic, group, consumer, 0, id)) as ([Buffer, Buffer[] | null] | null)[];
          const hit = single.find((e) => e && e[1] !== null);
          if (hit) this.enqueue({ id, fields: hit[1] });
          else await client.xack(topic, group, id);
        }
        if (returned.size === 0) break;
      }
    } catch (err) {
      if (!this.stopping) this.o.logger.warn(`reclaiming pending entries of "${topic}" failed: ${(err as Error).message}`);
    } finally {
      this.reclaiming = false;
    }
  }
}

function toMessage(topic: string, entry: Entry, logger: Logger): PubSubMessage {
  let data: Buffer = EMPTY;
  let metadata: Record<string, string> = {};
  const fields = entry.fields ?? [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i].toString();
    if (name === 'data') data = fields[i + 1];
    else if (name === 'metadata') {
      try {
        metadata = JSON.parse(fields[i + 1].toString()) as Record<string, string>;
      } catch (err) {
        logger.warn(`could not read the metadata of "${topic}" entry ${entry.id}: ${(err as Error).message}`);
      }
    }
  }
  return { topic, data, metadata, id: entry.id };
}

const EMPTY = Buffer.alloc(0);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
