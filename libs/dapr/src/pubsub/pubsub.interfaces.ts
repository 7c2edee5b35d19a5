/**
 * A CloudEvents 1.0 envelope as Dapr delivers it, plus the broker metadata of
 * the delivery (`__key`, `__partition`, `metadata.MessageId`...) in `metadata`.
 * @publicApi
 */
export interface CloudEvent<T = unknown> {
  id: string;
  source: string;
  type: string;
  specversion: string;
  datacontenttype?: string;
  data?: T;
  data_base64?: string;
  topic: string;
  pubsubname: string;
  traceid?: string;
  traceparent?: string;
  tracestate?: string;
  time?: string;
  subject?: string;
  expiration?: string;
  /** Broker metadata of this delivery. */
  metadata?: Record<string, string>;
  [extension: string]: unknown;
}

/** @publicApi */
export interface PublishOptions {
  /** Default: application/json for objects, text/plain for strings, application/octet-stream for bytes. */
  contentType?: string;
  /** rawPayload, ttlInSeconds, partitionKey, SessionId, cloudevent.* ... (all forwarded to the broker). */
  metadata?: Record<string, string>;
  cloudEvent?: { id?: string; type?: string; source?: string; subject?: string };
}

/** @publicApi */
export interface BulkPublishEntry {
  entryId?: string;
  event: unknown;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** @publicApi */
export interface BulkPublishResponse {
  failedEntries: { entryId: string; error: string }[];
}

/** @publicApi */
export interface SubscribeOptions {
  pubsub: string;
  topic: string;
  deadLetterTopic?: string;
  /** CEL over `event` (the CloudEvent); handlers without `match` are the topic's default route. */
  match?: string;
  /** Subscription metadata passed to the driver (`rawPayload`, component subscribe options...). */
  metadata?: Record<string, string>;
  /** Bulk delivery; accepted for API compatibility (entries are handled one by one). */
  bulk?: boolean | { enabled?: boolean; maxMessagesCount?: number; maxAwaitDurationMs?: number };
}
