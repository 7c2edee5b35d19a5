import type { AppSubscription } from './app-subscription';

/** Headers as node:http and undici give them. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** A service invocation as it reaches the app: verb, `/method?query`, headers and body. */
export interface AppInvokeRequest {
  verb: string;
  /** Path and query, with a leading `/`. */
  path: string;
  headers: HeaderMap;
  body: Buffer;
  signal?: AbortSignal;
}

export interface AppResponse {
  status: number;
  headers: HeaderMap;
  body: Buffer;
}

/** What the app answered to one event (Dapr's SUCCESS / RETRY / DROP, already mapped). */
export type AppEventStatus = 'SUCCESS' | 'RETRY' | 'DROP';

/** One event delivery: the CloudEvent JSON, its route and the broker metadata (sent as headers). */
export interface AppEventDelivery {
  path: string;
  /** The CloudEvent's own fields (without the broker metadata, which travels in `metadata`). */
  event: Record<string, unknown>;
  metadata: Record<string, string>;
  pubsub: string;
  topic: string;
  traceparent?: string;
  tracestate?: string;
}

export interface AppBulkEntry {
  entryId: string;
  /** The CloudEvent object, or the base64 text of a raw payload. */
  event: unknown;
  contentType: string;
  metadata: Record<string, string>;
}

export interface AppBulkDelivery {
  path: string;
  pubsub: string;
  topic: string;
  entries: AppBulkEntry[];
  metadata: Record<string, string>;
}

/**
 * How the sidecar reaches the app, over HTTP or gRPC (`--app-protocol`): the
 * app-callback protocol of Dapr. Deliveries answer with the outcome daprd would
 * derive from the app's response; a failure the pipeline should retry rejects.
 */
export interface AppChannel {
  readonly protocol: 'http' | 'grpc';
  /** Resolves once the app accepts connections (daprd waits for the app port too). */
  waitUntilListening(signal: AbortSignal): Promise<void>;
  /** The app's programmatic subscriptions; `[]` when it has none. */
  subscriptions(): Promise<AppSubscription[]>;
  /** The app's `GET /dapr/config` answer (actor settings), undefined when it has none. */
  config(): Promise<Record<string, unknown> | undefined>;
  invoke(req: AppInvokeRequest): Promise<AppResponse>;
  deliverEvent(delivery: AppEventDelivery): Promise<AppEventStatus>;
  /** Per-entry statuses; entries the app left out are RETRY. */
  deliverBulk(delivery: AppBulkDelivery): Promise<Map<string, AppEventStatus>>;
  /** Whether the app handles the input binding (`OPTIONS /<route>` answers 2xx or 405). */
  handlesBinding(route: string): Promise<boolean>;
  /** Delivers an input binding event; rejects when the app did not answer 200. */
  deliverBinding(route: string, data: Uint8Array, metadata: Record<string, string>): Promise<Uint8Array | undefined>;
  /** One app health probe (HTTP GET of the health path, or gRPC HealthCheck). */
  probe(path: string, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The app answered an event delivery with something daprd retries (it carries the status for resiliency matching). */
export class AppDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AppDeliveryError';
  }
}
