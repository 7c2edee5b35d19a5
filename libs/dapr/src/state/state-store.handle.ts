import type { StateService } from './state.service';
import type {
  StateBulkItem,
  StateDeleteItem,
  StateDeleteOptions,
  StateGetBulkOptions,
  StateGetOptions,
  StateItem,
  StateOperation,
  StateQuery,
  StateQueryResponse,
  StateSaveItem,
  StateSaveItemOptions,
  StateSaveOptions,
  StateStore,
} from './state.interfaces';

/** The `StateStore<T>` injected by `@StateStore(name)`: `StateService` bound to one store. */
export class StateStoreHandle<T = unknown> implements StateStore<T> {
  constructor(
    private readonly state: StateService,
    readonly name: string,
  ) {}

  get(key: string, options?: StateGetOptions): Promise<T | undefined> {
    return this.state.get<T>(this.name, key, options);
  }

  getItem(key: string, options?: StateGetOptions): Promise<StateItem<T> | undefined> {
    return this.state.getItem<T>(this.name, key, options);
  }

  getBulk(keys: string[], options?: StateGetBulkOptions): Promise<StateBulkItem<T>[]> {
    return this.state.getBulk<T>(this.name, keys, options);
  }

  save(key: string, value: T, options?: StateSaveItemOptions): Promise<void>;
  save(items: StateSaveItem<T> | StateSaveItem<T>[], options?: StateSaveOptions): Promise<void>;
  save(
    keyOrItems: string | StateSaveItem<T> | StateSaveItem<T>[],
    value?: T | StateSaveOptions,
    options?: StateSaveItemOptions,
  ): Promise<void> {
    if (typeof keyOrItems !== 'string') {
      return this.state.save<T>(this.name, keyOrItems, value as StateSaveOptions | undefined);
    }
    const item: StateSaveItem<T> = { key: keyOrItems, value: value as T };
    if (options) {
      if (options.etag !== undefined) item.etag = options.etag;
      if (options.metadata) item.metadata = options.metadata;
      const concurrency = options.concurrency ?? options.options?.concurrency;
      const consistency = options.consistency ?? options.options?.consistency;
      if (concurrency || consistency) item.options = { concurrency, consistency };
    }
    return this.state.save<T>(this.name, item);
  }

  delete(key: string, options?: StateDeleteOptions): Promise<void> {
    return this.state.delete(this.name, key, options);
  }

  deleteBulk(items: (string | StateDeleteItem)[]): Promise<void> {
    return this.state.deleteBulk(this.name, items);
  }

  transaction(operations: StateOperation[], metadata?: Record<string, string>): Promise<void> {
    return this.state.transaction(this.name, operations, metadata);
  }

  query(query: StateQuery): Promise<StateQueryResponse<T>> {
    return this.state.query<T>(this.name, query);
  }
}
