import type { Component } from './component.spi';

export type PubSubFeature = 'MESSAGE_TTL' | 'BULK_PUBSUB' | 'BULK_SUBSCRIBE' | 'SUBSCRIBE_WILDCARDS';

export interface PublishRequest {
  topic: string;
  /** The serialised message (CloudEvent JSON, or the raw payload with `rawPayload`). */
  data: Uint8Array;
  /** Publish metadata: `partitionKey`, `ttlInSeconds`, `rawPayload`, broker properties... */
  metadata: Record<string, string>;
  contentType?: string;
}

export interface BulkPublishRequestEntry {
  entryId: string;
  event: Uint8Array;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface BulkPublishRequest {
  topic: string;
  entries: BulkPublishRequestEntry[];
  metadata: Record<string, string>;
}

export interface BulkPublishDriverResponse {
  failedEntries: { entryId: string; error: string }[];
}

/** One message as the broker delivered it. */
export interface PubSubMessage {
  topic: string;
  data: Uint8Array;
  /** Broker metadata (`__key`, `__offset`, `__partition`, headers, `metadata.*`). */
  metadata: Record<string, string>;
  contentType?: string;
  /** The broker's id of the message (offset, stream id, sequence...), used in log lines. */
  id?: string;
}

/**
 * What the block tells the driver once a message is settled.
 * SUCCESS: ack/commit. RETRY: leave it for redelivery (never ack). DROP: ack
 * without success (the block has already dead-lettered it when configured).
 */
export type DeliveryOutcome = 'SUCCESS' | 'RETRY' | 'DROP';

export type PubSubHandler = (message: PubSubMessage) => Promise<DeliveryOutcome>;

export interface SubscribeRequest {
  topic: string;
  /** Subscription metadata (`consumerID` already defaulted to the app id). */
  metadata: Record<string, string>;
}

/** Lets the block stop intake and wait for a subscription's in-flight work. */
export interface SubscriptionHandle {
  /** Stop fetching new messages; in-flight handlers keep running. */
  stop(): Promise<void>;
}

export interface PubSubDriver extends Component {
  features(): readonly PubSubFeature[];
  publish(req: PublishRequest): Promise<void>;
  bulkPublish?(req: BulkPublishRequest): Promise<BulkPublishDriverResponse>;
  /**
   * Starts delivering messages of `req.topic` to `handler`. The driver settles
   * each message according to the outcome the handler resolves to; a rejected
   * handler promise counts as RETRY.
   */
  subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle>;
}
