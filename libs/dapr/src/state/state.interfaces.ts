/** Public types of the state block (README "State with ETags"). */

export type StateConcurrencyMode = 'first-write' | 'last-write';
export type StateConsistencyMode = 'strong' | 'eventual';

export interface StateItem<T> {
  key: string;
  value: T;
  etag?: string;
  /** Store metadata for the item, e.g. `ttlExpireTime` (RFC 3339) where the store reports it. */
  metadata?: Record<string, string>;
}

/** One result of `getBulk`: a missing key comes back as `{ key }`. */
export interface StateBulkItem<T> {
  key: string;
  value?: T;
  etag?: string;
  error?: string;
}

export interface StateSaveItem<T> {
  key: string;
  value: T;
  etag?: string;
  options?: { concurrency?: StateConcurrencyMode; consistency?: StateConsistencyMode };
  /** `ttlInSeconds`, `contentType`, ... */
  metadata?: Record<string, string>;
}

export interface StateGetOptions {
  consistency?: StateConsistencyMode;
  metadata?: Record<string, string>;
}

export interface StateDeleteOptions {
  etag?: string;
  concurrency?: StateConcurrencyMode;
  consistency?: StateConsistencyMode;
  metadata?: Record<string, string>;
}

/** One key of a bulk delete (`deleteBulk`). */
export interface StateDeleteItem extends StateDeleteOptions {
  key: string;
}

export interface StateGetBulkOptions {
  parallelism?: number;
  metadata?: Record<string, string>;
}

export interface StateSaveOptions {
  metadata?: Record<string, string>;
}

/** Options of the single-item `StateStore.save(key, value, options)`. */
export interface StateSaveItemOptions {
  etag?: string;
  concurrency?: StateConcurrencyMode;
  consistency?: StateConsistencyMode;
  metadata?: Record<string, string>;
  /** Same as `concurrency` / `consistency` above, in the `StateSaveItem` shape. */
  options?: StateSaveItem<unknown>['options'];
}

export type StateOperation =
  | { operation: 'upsert'; request: StateSaveItem<unknown> }
  | { operation: 'delete'; request: { key: string; etag?: string; metadata?: Record<string, string> } };

export interface StateQuery {
  filter?: object;
  sort?: { key: string; order?: 'ASC' | 'DESC' }[];
  page?: { limit: number; token?: string };
}

export interface StateQueryResponse<T> {
  results: { key: string; value: T; etag?: string }[];
  /** Present when more pages follow: pass it back as `page.token`. */
  token?: string;
}

/**
 * A handle bound to one state store, injected with `@StateStore(name)`: the
 * methods of `StateService` without the store argument.
 */
export interface StateStore<T = unknown> {
  /** The component name this handle is bound to. */
  readonly name: string;
  get(key: string, options?: StateGetOptions): Promise<T | undefined>;
  getItem(key: string, options?: StateGetOptions): Promise<StateItem<T> | undefined>;
  getBulk(keys: string[], options?: StateGetBulkOptions): Promise<StateBulkItem<T>[]>;
  save(key: string, value: T, options?: StateSaveItemOptions): Promise<void>;
  save(items: StateSaveItem<T> | StateSaveItem<T>[], options?: StateSaveOptions): Promise<void>;
  delete(key: string, options?: StateDeleteOptions): Promise<void>;
  deleteBulk(items: (string | StateDeleteItem)[]): Promise<void>;
  transaction(operations: StateOperation[], metadata?: Record<string, string>): Promise<void>;
  query(query: StateQuery): Promise<StateQueryResponse<T>>;
}
