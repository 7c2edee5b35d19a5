import type { Component } from './component.spi';
import type { ParsedStateQuery } from './state-query.spi';

/** Feature strings reported in Dapr's metadata API (`capabilities`). */
export type StateFeature =
  | 'ETAG'
  | 'TRANSACTIONAL'
  | 'TTL'
  | 'QUERY_API'
  | 'KEYS_LIKE'
  | 'DELETE_WITH_PREFIX'
  | 'PARTITION_KEY';

export type StateConcurrency = 'first-write' | 'last-write';
export type StateConsistency = 'strong' | 'eventual';

export interface StateRequestOptions {
  concurrency?: StateConcurrency;
  consistency?: StateConsistency;
}

export interface StateGetRequest {
  /** Storage key: the block has already applied the `keyPrefix` scheme. */
  key: string;
  metadata: Record<string, string>;
  options?: { consistency?: StateConsistency };
}

export interface StateGetResponse {
  /** Stored bytes exactly as written (JSON text for JSON values). */
  data: Uint8Array;
  /** True when the value was stored as opaque bytes rather than JSON. */
  isBinary?: boolean;
  /**
   * True when the store knows these bytes were written as bytes by nest-dapr
   * (and not overwritten since), so they come back as a Buffer even when they
   * are JSON text. Without it, bytes that are JSON are parsed, as Dapr's SDKs do.
   */
  exactBytes?: boolean;
  etag?: string;
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface StateSetRequest {
  key: string;
  /**
   * Encoded value: JSON text bytes, or the raw bytes of a binary value. It may
   * be computed on first read (a getter), so read `req.value` rather than
   * copying the request with a spread.
   */
  value: Uint8Array;
  /** True when `value` is opaque bytes (a Buffer/Uint8Array in the app), false for JSON. */
  isBinary: boolean;
  /**
   * The JSON text of a non-binary value (the same content as `value`). Drivers
   * whose client takes strings use it and never touch `value`, which the block
   * then does not even materialise.
   */
  text?: string;
  etag?: string;
  metadata: Record<string, string>;
  options?: StateRequestOptions;
  contentType?: string;
  /**
   * TTL parsed and validated by the block from `metadata.ttlInSeconds` (or the
   * component's default): undefined = none given, > 0 = expire after that many
   * seconds, <= 0 (e.g. -1) = never expire / remove an existing TTL.
   */
  ttlInSeconds?: number;
}

export interface StateDeleteRequest {
  key: string;
  etag?: string;
  metadata: Record<string, string>;
  options?: StateRequestOptions;
}

export interface StateBulkGetResponse extends Partial<StateGetResponse> {
  key: string;
  error?: string;
}

export type StateTransactionOperation =
  | { operation: 'upsert'; request: StateSetRequest }
  | { operation: 'delete'; request: StateDeleteRequest };

export interface StateQueryFilter {
  [op: string]: unknown;
}

export interface StateQueryRequest {
  query: {
    filter?: StateQueryFilter;
    sort?: { key: string; order?: 'ASC' | 'DESC' }[];
    page?: { limit: number; token?: string };
  };
  /** The query validated by the block: filter tree, sort, limit and the offset from the token. */
  parsed: ParsedStateQuery;
  metadata: Record<string, string>;
  /** Only keys starting with this storage prefix belong to the caller (key scheme). */
  keyPrefix?: string;
}

export interface StateQueryDriverResponse {
  results: { key: string; data: Uint8Array; isBinary?: boolean; exactBytes?: boolean; etag?: string; error?: string }[];
  token?: string;
}

/**
 * A state store driver. Drivers throw `ETagMismatchError` / `ETagInvalidError`
 * (errors/state.errors.ts) for ETag conflicts, including a `first-write` save
 * that finds an existing item; any other error is wrapped by the block.
 * `etag` in requests is never the empty string (the block drops it).
 *
 * A state store driver. Encoding, key prefixes, validation and typed errors live
 * in the state block; the driver only stores bytes under keys with ETags.
 */
export interface StateStoreDriver extends Component {
  features(): readonly StateFeature[];
  get(req: StateGetRequest): Promise<StateGetResponse | undefined>;
  set(req: StateSetRequest): Promise<void>;
  delete(req: StateDeleteRequest): Promise<void>;
  bulkGet?(reqs: StateGetRequest[], opts?: { parallelism?: number }): Promise<StateBulkGetResponse[]>;
  bulkSet?(reqs: StateSetRequest[]): Promise<void>;
  bulkDelete?(reqs: StateDeleteRequest[]): Promise<void>;
  /** Present iff the store lists `TRANSACTIONAL`. Operations apply in order. */
  multi?(operations: StateTransactionOperation[], metadata: Record<string, string>): Promise<void>;
  /** Present iff the store lists `QUERY_API`. */
  query?(req: StateQueryRequest): Promise<StateQueryDriverResponse>;
}
