import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '../../pubsub/pubsub.interfaces';
import type { AppBulkDelivery, AppBulkEntry, AppEventStatus } from './app-channel';

export interface BulkBatcherOptions {
  path: string;
  pubsub: string;
  topic: string;
  maxMessagesCount: number;
  maxAwaitDurationMs: number;
}

interface Pending {
  entry: AppBulkEntry;
  resolve: (s: AppEventStatus) => void;
}

/**
 * Dapr's default bulk subscriber (`default_bulksub.go`): events of one route
 * are collected until `maxMessagesCount` are waiting or `maxAwaitDurationMs`
 * has passed since the first, then sent to the app in one POST; each event's
 * promise settles with its own entry's status. The pipeline in front of it
 * still handles each message (routing, retries, dead-lettering) one by one.
 */
export class BulkBatcher {
  private pending: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly options: BulkBatcherOptions,
    private readonly deliver: (d: AppBulkDelivery) => Promise<Map<string, AppEventStatus>>,
  ) {}

  add(event: CloudEvent, rawPayload: boolean): Promise<AppEventStatus> {
    if (this.closed) return Promise.resolve('RETRY');
    const { metadata, ...fields } = event;
    const entry: AppBulkEntry = rawPayload
      ? { entryId: randomUUID(), event: fields.data_base64 ?? '', contentType: 'application/octet-stream', metadata: metadata ?? {} }
      : { entryId: randomUUID(), event: fields, contentType: 'application/cloudevents+json', metadata: metadata ?? {} };
    return new Promise((resolve) => {
      this.pending.push({ entry, resolve });
      if (this.pending.length >= this.options.maxMessagesCount) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxAwaitDurationMs);
    });
  }

  /** Sends whatever is waiting now. */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const { path, pubsub, topic } = this.options;
    this.deliver({ path, pubsub, topic, entries: batch.map((p) => p.entry), metadata: {} }).then(
      (statuses) => {
        for (const p of batch) p.resolve(statuses.get(p.entry.entryId) ?? 'RETRY');
      },
      () => {
        for (const p of batch) p.resolve('RETRY');
      },
    );
  }

  close(): void {
    this.closed = true;
    this.flushNow();
  }
}
