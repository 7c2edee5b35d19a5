import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, PartitionAssigner } from 'kafkajs';
import type { Logger } from '@nestjs/common';
import type {
  DeliveryOutcome,
  PubSubHandler,
  PubSubMessage,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import type { KafkaConnectionSettings } from './kafka-connection';

/** How long to wait before handing a message the handler asked to RETRY back to it. */
export interface RedeliveryBackoff {
  policy: 'constant' | 'exponential';
  durationMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  multiplier: number;
}

export function backoffDelay(b: RedeliveryBackoff, attempt: number): number {
  if (b.policy === 'constant') return b.durationMs;
  return Math.min(b.maxIntervalMs, b.initialIntervalMs * Math.pow(b.multiplier, Math.max(0, attempt - 1)));
}

export interface KafkaSubscriptionOptions {
  kafka: Kafka;
  settings: KafkaConnectionSettings;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  partitionsConsumedConcurrently: number;
  backoff: RedeliveryBackoff;
  assigner: PartitionAssigner;
  handler: PubSubHandler;
  logger: Logger;
  /** How long `start` waits for the first group join before returning anyway. */
  joinTimeoutMs: number;
}

/**
 * One topic consumed by one kafkajs consumer in the app's consumer group.
 *
 * Delivery contract (at-least-once, never skip):
 * - partitions are consumed concurrently, records of one partition strictly in order;
 * - a record's offset is resolved only after the handler settled it with SUCCESS
 *   or DROP, and kafkajs commits resolved offsets only (after each batch and at
 *   most every second inside long batches), so a crash replays unfinished work;
 * - RETRY (or a rejected handler) redelivers the same record in place after a
 *   backoff, blocking its partition like Dapr does, but never moves past it —
 *   Dapr marks a later offset once retries run out, which skips the record;
 * - a rebalance or stop abandons the record unresolved, so its next owner gets it.
 */
export class KafkaTopicSubscription implements SubscriptionHandle {
  private consumer?: Consumer;
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly o: KafkaSubscriptionOptions) {}

  async start(): Promise<void> {
    const { kafka, settings, topic, groupId } = this.o;
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [this.o.assigner],
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(60_000, settings.sessionTimeoutMs),
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: 100,
      // Keep trying through broker outages instead of giving up after a few retries.
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 10, restartOnFailure: async () => !this.stopping },
    });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const err = (e.payload as { error?: Error }).error;
      if (!this.stopping) this.o.logger.warn(`consumer of "${topic}" crashed (${err?.message}); restarting`);
    });
    await consumer.connect();
    // A topic the broker is auto-creating answers "not hosted here" for a moment; wait for it.
    for (let attempt = 0; ; attempt++) {
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: this.o.fromBeginning });
        break;
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || attempt >= 50) throw err;
        await sleep(200);
      }
    }
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // Returning once the group has assigned partitions means a publish right
    // after subscribe is not missed by an `initialOffset: newest` consumer.
    await Promise.race([joined, sleep(this.o.joinTimeoutMs)]);
  }

  /** Stops fetching, lets the in-flight handler finish, commits what finished and leaves the group. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      for (const wake of this.wakeups) wake();
      this.stopped = (async () => {
        try {
          await this.consumer?.stop();
        } finally {
          await this.consumer?.disconnect();
        }
      })();
    }
    return this.stopped;
  }

  private async onBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    // A slow handler must not hold back the commit of records already settled
    // in this batch: like sarama's 1 s auto-commit of marked offsets, commit
    // them on a timer while the batch runs (kafkajs only commits between batches).
    const timer = setInterval(() => void p.commitOffsetsIfNecessary().catch(() => undefined), COMMIT_INTERVAL_MS);
    timer.unref?.();
    try {
      for (const record of batch.messages) {
        if (!p.isRunning() || p.isStale() || this.stopping) return;
        const settled = await this.deliver(batch.topic, batch.partition, record, p);
        if (!settled) return;
        p.resolveOffset(record.offset);
        await p.commitOffsetsIfNecessary();
      }
    } finally {
      clearInterval(timer);
    }
  }

  /** Runs the handler until it settles the record; false when the record was abandoned. */
  private async deliver(topic: string, partition: number, record: KafkaMessage, p: EachBatchPayload): Promise<boolean> {
    const message = this.toPubSubMessage(topic, partition, record);
    for (let attempt = 1; ; attempt++) {
      let outcome: DeliveryOutcome;
      try {
        outcome = await this.o.handler(message);
      } catch (err) {
        this.o.logger.warn(
          `handler for "${topic}" [${partition}@${record.offset}] failed: ${(err as Error)?.message ?? err}; will redeliver`,
        );
        outcome = 'RETRY';
      }
      if (outcome !== 'RETRY') return true;
      if (!p.isRunning() || p.isStale() || this.stopping) return false;
      await this.pause(backoffDelay(this.o.backoff, attempt));
      if (!p.isRunning() || p.isStale() || this.stopping) return false;
      // Keep the membership alive while a record is being retried for a long time.
      await p.heartbeat();
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
    });
  }

  private toPubSubMessage(topic: string, partition: number, record: KafkaMessage): PubSubMessage {
    const metadata: Record<string, string> = {
      __offset: record.offset,
      __topic: topic,
      __timestamp: record.timestamp,
      __partition: String(partition),
    };
    // As Dapr's GetEventMetadata: escapeHeaders applies to __key too, excluded headers are not delivered.
    const { escapeHeaders, excludeHeaderMetaRegex } = this.o.settings;
    if (record.key !== null && record.key !== undefined) {
      const key = record.key.toString('utf8');
      metadata.__key = escapeHeaders ? queryEscape(key) : key;
    }
    if (record.headers) copyHeaders(record.headers, metadata, escapeHeaders, excludeHeaderMetaRegex);
    // A tombstone (null value) reaches the app as JSON null, as in Dapr.
    return { topic, data: record.value ?? NULL_BYTES, metadata, id: `${topic}/${partition}@${record.offset}` };
  }
}

const NULL_BYTES = Buffer.from('null');
const COMMIT_INTERVAL_MS = 1_000;

function copyHeaders(headers: IHeaders, into: Record<string, string>, escape: boolean, exclude?: RegExp): void {
  for (const key of Object.keys(headers)) {
    const raw = headers[key];
    if (raw === undefined) continue;
    if (exclude?.test(key)) continue;
    // sarama hands every header over in order, so the last of repeated keys wins.
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const value = typeof last === 'string' ? last : last.toString('utf8');
    into[key] = escape ? queryEscape(value) : value;
  }
}

/** Go's url.QueryEscape, which Dapr applies to header values when `escapeHeaders` is true. */
function queryEscape(v: string): string {
  return encodeURIComponent(v).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}
