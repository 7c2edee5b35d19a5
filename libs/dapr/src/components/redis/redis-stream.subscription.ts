import type { Logger } from '@nestjs/common';
import type { DeliveryOutcome, PubSubHandler, PubSubMessage, SubscriptionHandle } from '../../spi/pubsub.spi';
import type { RedisClient } from './redis-connection';

export interface RedisStreamSubscriptionOptions {
  /** Shared connection for XGROUP, XACK and XAUTOCLAIM. */
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
 * (a crashed instance's, or ones the handler asked to RETRY) with XAUTOCLAIM.
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

  /** Claims entries idle longer than processingTimeout (XAUTOCLAIM) and runs them again. */
  private async reclaim(): Promise<void> {
    if (this.reclaiming || this.stopping) return;
    this.reclaiming = true;
    const { client, topic, group, consumer } = this.o;
    try {
      let cursor = '0-0';
      do {
        const room = Math.max(1, this.o.queueDepth - this.queue.length - this.active);
        const reply = (await client.callBuffer('XAUTOCLAIM', topic, group, consumer, this.o.processingTimeoutMs, cursor, 'COUNT', room)) as [
          Buffer,
          [Buffer, Buffer[] | null][],
        ];
        cursor = reply[0].toString();
        for (const item of reply[1]) {
          // Redis 6.2 returns deleted entries as nil; 7.x drops them from the PEL itself.
          if (!item) continue;
          const [id, fields] = item;
          if (fields === null) {
            await client.xack(topic, group, id);
            continue;
          }
          this.enqueue({ id: id.toString(), fields });
        }
      } while (cursor !== '0-0' && !this.stopping && this.queue.length < this.o.queueDepth);
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
