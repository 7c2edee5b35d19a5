import { Inject, Injectable, Optional, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type {
  StateDeleteRequest,
  StateFeature,
  StateGetRequest,
  StateGetResponse,
  StateSetRequest,
  StateStoreDriver,
  StateTransactionOperation,
} from '../spi/state.spi';
import { DaprError } from '../errors/dapr.error';
import {
  etagErrorFor,
  isETagError,
  StateRequestInvalidError,
  StateStoreError,
  StateStoreFeatureNotSupportedError,
  StateStoreNotFoundError,
  type StateOperationKind,
} from '../errors/state.errors';
import type { OutboundOperation } from '../operations/operation';
import { mapLimit } from '../operations/map-limit';
import { OperationRunner } from '../operations/operation-runner';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../runtime/component-runtime';
import { ComponentConfigError } from '../errors/component-config.error';
import { PubSubService } from '../pubsub/pubsub.service';
import { checkedOutboxConfig } from './outbox/outbox-check';
import { OutboxCommits } from './outbox/outbox-commits';
import { OutboxPublisher } from './outbox/outbox-publisher';
import { parseStateQuery } from './query/state-query.filter';
import { DAPR_STATE_POLICY_RESOLVER, findPolicyResolver, type StatePolicyResolver } from './state-policy';
import { StateKeyScheme } from './state-key.scheme';
import { checkOptions, normalizeEtag, parseTtl, stringifyMetadata } from './state-request.validator';
import { LazyStateSetRequest } from './state-set.request';
import { decodeStateValue } from './state-value.codec';
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
  StateSaveOptions,
} from './state.interfaces';

/** One state component as the block sees it, resolved once. */
interface StateTarget {
  name: string;
  driver: StateStoreDriver;
  keys: StateKeyScheme;
  features: ReadonlySet<StateFeature>;
  /** One operation per kind, built once: policy, span, metrics and typed error of every call. */
  ops: Record<StateOperationKind, OutboundOperation<StorageKeyed | undefined>>;
  /** The transactional outbox (component metadata `outboxPublishPubsub` / `outboxPublishTopic`), when configured. */
  outbox?: OutboxPublisher;
  /** The driver calls of the single-key hot paths, made once (the runner passes the request as detail). */
  calls: {
    get: (span: unknown, signal: AbortSignal, req: StateGetRequest) => Promise<StateGetResponse | undefined>;
    set: (span: unknown, signal: AbortSignal, req: StateSetRequest) => Promise<void>;
    delete: (span: unknown, signal: AbortSignal, req: StateDeleteRequest) => Promise<void>;
  };
}

/** What an operation's error mapper reads of a call: the storage key, when the call has one. */
interface StorageKeyed {
  key: string;
}

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Dapr's `operation` label values for dapr_component_state_* (and the span name suffix). */
const METRIC_OPERATION: Record<StateOperationKind, string> = {
  get: 'get',
  bulkGet: 'bulk_get',
  save: 'set',
  delete: 'delete',
  transaction: 'transaction',
  query: 'query',
};

/**
 * Dapr's state API in-process (README "State with ETags"): key scheme, value encoding,
 * ETag/concurrency/consistency and TTL validation, bulk operations,
 * transactions and queries, with typed errors. Drivers only store bytes.
 * @publicApi
 */
@Injectable()
export class StateService {
  private readonly targets = new Map<string, StateTarget>();

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly moduleRef?: ModuleRef,
    @Optional() @Inject(DAPR_STATE_POLICY_RESOLVER) private readonly policyResolver?: StatePolicyResolver,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  // get, getItem, save and delete of one key are the hot paths: no async frame of their own, one
  // operation run and at most one `then`. Input errors still come back as rejections.

  get<T = unknown>(store: string, key: string, options?: StateGetOptions): Promise<T | undefined> {
    const t = this.targets.get(store);
    if (t === undefined) return this.resolve(store).then(() => this.get<T>(store, key, options));
    let req: StateGetRequest;
    try {
      req = this.getRequest(t, key, options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.runner.run(t.ops.get, req, t.calls.get).then(valueOf) as Promise<T | undefined>;
  }

  getItem<T = unknown>(store: string, key: string, options?: StateGetOptions): Promise<StateItem<T> | undefined> {
    const t = this.targets.get(store);
    if (t === undefined) return this.resolve(store).then(() => this.getItem<T>(store, key, options));
    let req: StateGetRequest;
    try {
      req = this.getRequest(t, key, options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.runner.run(t.ops.get, req, t.calls.get).then((res) => itemOf<T>(key, res));
  }

  async getBulk<T = unknown>(store: string, keys: string[], options?: StateGetBulkOptions): Promise<StateBulkItem<T>[]> {
    const t = this.targets.get(store) ?? (await this.resolve(store));
    if (!Array.isArray(keys)) throw new StateRequestInvalidError('getBulk needs an array of keys');
    if (keys.length === 0) return [];
    const reqs = keys.map((k) => this.getRequest(t, k, { metadata: options?.metadata }));
    const toItem = (key: string, r?: Partial<StateGetResponse>, error?: string) => {
      const item: StateBulkItem<T> = { key };
      const data = r?.data;
      const etag = r?.etag;
      if (error) item.error = error;
      else if (data) {
        item.value = decodeStateValue<T>(data, r.isBinary, r.exactBytes);
        if (etag !== undefined) item.etag = etag;
      }
      return item;
    };
    if (t.driver.bulkGet) {
      const res = await this.run(t, 'bulkGet', () => t.driver.bulkGet!(reqs, { parallelism: options?.parallelism }));
      const byStorage = new Map(reqs.map((r, i) => [r.key, keys[i]] as const));
      return res.map((r) => toItem(byStorage.get(r.key) ?? t.keys.fromStorage(r.key), r, r.error));
    }
    // Dapr's default BulkGet: parallel Gets, per-key errors in `error`.
    return mapLimit(reqs, options?.parallelism, async (req, i) => {
      try {
        const r = await this.run(t, 'get', () => t.driver.get(req));
        return toItem(keys[i], r);
      } catch (err) {
        return toItem(keys[i], undefined, (err as Error).message ?? String(err));
      }
    });
  }

  save<T = unknown>(store: string, items: StateSaveItem<T> | StateSaveItem<T>[], options?: StateSaveOptions): Promise<void> {
    const t = this.targets.get(store);
    if (t === undefined) return this.resolve(store).then(() => this.save(store, items, options));
    let req: StateSetRequest;
    try {
      const requestMetadata = options?.metadata ? stringifyMetadata(options.metadata) : undefined;
      if (Array.isArray(items)) return this.saveMany(t, items, requestMetadata);
      req = this.setRequest(t, items, requestMetadata);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.runner.run(t.ops.save, req, t.calls.set);
  }

  private async saveMany(t: StateTarget, items: StateSaveItem<unknown>[], requestMetadata?: Record<string, string>): Promise<void> {
    if (items.length === 0) return;
    const reqs = items.map((i) => this.setRequest(t, i, requestMetadata));
    if (reqs.length === 1) return this.runner.run(t.ops.save, reqs[0], t.calls.set);
    // Dapr's BulkSet: parallel Sets, not atomic; successful items stay applied.
    await this.bulk(t, 'save', reqs, (r) => t.driver.set(r), items.map((i) => i.key));
  }

  delete(store: string, key: string, options?: StateDeleteOptions): Promise<void> {
    const t = this.targets.get(store);
    if (t === undefined) return this.resolve(store).then(() => this.delete(store, key, options));
    let req: StateDeleteRequest;
    try {
      req = this.deleteRequest(t, key, options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.runner.run(t.ops.delete, req, t.calls.delete);
  }

  /** Deletes several keys in parallel (Dapr's BulkDelete); failed keys are reported together. */
  async deleteBulk(store: string, items: (string | StateDeleteItem)[]): Promise<void> {
    const t = this.targets.get(store) ?? (await this.resolve(store));
    if (!Array.isArray(items)) throw new StateRequestInvalidError('deleteBulk needs an array of keys');
    if (items.length === 0) return;
    const normalized = items.map((i) => (typeof i === 'string' ? { key: i } : i));
    const reqs = normalized.map((i) => this.deleteRequest(t, i.key, i));
    await this.bulk(t, 'delete', reqs, (r) => t.driver.delete(r), normalized.map((i) => i.key));
  }

  async transaction(store: string, operations: StateOperation[], metadata?: Record<string, string>): Promise<void> {
    const t = this.targets.get(store) ?? (await this.resolve(store));
    if (!t.features.has('TRANSACTIONAL') || !t.driver.multi) {
      throw new StateStoreFeatureNotSupportedError(store, 'transactions');
    }
    if (!Array.isArray(operations)) throw new StateRequestInvalidError('transaction needs an array of operations');
    if (operations.length === 0) return;
    // Validate everything before the store sees anything.
    const ops: StateTransactionOperation[] = operations.map((op) => {
      const raw: unknown = op?.operation;
      const kind = typeof raw === 'string' ? raw.toLowerCase() : raw;
      if (!op?.request) throw new StateRequestInvalidError('transaction operation needs a request');
      if (kind === 'upsert') return { operation: 'upsert', request: this.setRequest(t, op.request as StateSaveItem<unknown>) };
      if (kind === 'delete') {
        const r = op.request as StateDeleteItem;
        return { operation: 'delete', request: this.deleteRequest(t, r.key, r) };
      }
      throw new StateRequestInvalidError(
        `operation type ${String(raw)} not supported (upsert or delete)`,
      );
    });
    const md = stringifyMetadata(metadata);
    const outbox = t.outbox;
    if (!outbox) {
      await this.run(t, 'transaction', () => t.driver.multi!(ops, md));
      return;
    }
    // The outbox publishes each upsert to its internal topic first and adds the markers the relay waits for.
    const prepared = await outbox.prepare(ops, md);
    try {
      await this.run(t, 'transaction', () => t.driver.multi!(prepared.operations, md));
    } catch (err) {
      outbox.settled(prepared.markers, 'failed');
      throw err;
    }
    outbox.settled(prepared.markers, 'committed');
  }

  async query<T = unknown>(store: string, query: StateQuery): Promise<StateQueryResponse<T>> {
    const t = this.targets.get(store) ?? (await this.resolve(store));
    if (!t.features.has('QUERY_API') || !t.driver.query) {
      throw new StateStoreFeatureNotSupportedError(store, 'the query API');
    }
    const parsed = parseStateQuery(query);
    const res = await this.run(t, 'query', () =>
      t.driver.query!({ query: query as never, parsed, metadata: EMPTY, keyPrefix: t.keys.prefix }),
    );
    const results = res.results.map((r) => {
      const item: { key: string; value: T; etag?: string } = {
        key: t.keys.fromStorage(r.key),
        value: decodeStateValue<T>(r.data, r.isBinary, r.exactBytes),
      };
      if (r.etag !== undefined) item.etag = r.etag;
      return item;
    });
    return res.token ? { results, token: res.token } : { results };
  }

  /** The features a store reports (Dapr's metadata API `capabilities`). */
  async features(store: string): Promise<StateFeature[]> {
    const t = this.targets.get(store) ?? (await this.resolve(store));
    return [...t.features];
  }

  private getRequest(t: StateTarget, key: string, options?: StateGetOptions): StateGetRequest {
    const req: StateGetRequest = {
      key: t.keys.toStorage(key),
      metadata: options?.metadata ? stringifyMetadata(options.metadata) : EMPTY,
    };
    if (options?.consistency) req.options = { consistency: checkOptions({ consistency: options.consistency })?.consistency };
    return req;
  }

  private setRequest(t: StateTarget, item: StateSaveItem<unknown>, requestMetadata?: Record<string, string>): StateSetRequest {
    if (!item || typeof item !== 'object') throw new StateRequestInvalidError('a state item must be an object with a key');
    const key = t.keys.toStorage(item.key);
    const metadata = requestMetadata
      ? { ...requestMetadata, ...stringifyMetadata(item.metadata) }
      : item.metadata
        ? stringifyMetadata(item.metadata)
        : EMPTY;
    // encodeStateValueLazy's rules, without its intermediate object (this is the save hot path).
    const value = item.value;
    const req =
      value instanceof Uint8Array
        ? new LazyStateSetRequest(key, true, undefined, value, metadata)
        : value instanceof ArrayBuffer
          ? new LazyStateSetRequest(key, true, undefined, new Uint8Array(value), metadata)
          : new LazyStateSetRequest(key, false, value === undefined ? 'null' : JSON.stringify(value), undefined, metadata);
    if (item.etag !== undefined) {
      const etag = normalizeEtag(item.etag);
      if (etag !== undefined) req.etag = etag;
    }
    if (item.options !== undefined) {
      const options = checkOptions(item.options);
      if (options) req.options = options;
    }
    // A component-level default TTL is the driver's business: in Dapr only state.redis has one.
    const ttl = metadata === EMPTY ? undefined : parseTtl(metadata);
    if (ttl !== undefined) req.ttlInSeconds = ttl;
    const contentType = metadata.contentType;
    if (contentType) req.contentType = contentType;
    return req;
  }

  private deleteRequest(t: StateTarget, key: string, options?: StateDeleteOptions): StateDeleteRequest {
    const req: StateDeleteRequest = {
      key: t.keys.toStorage(key),
      metadata: options?.metadata ? stringifyMetadata(options.metadata) : EMPTY,
    };
    const etag = normalizeEtag(options?.etag);
    if (etag !== undefined) req.etag = etag;
    const checked = checkOptions(options);
    if (checked) req.options = checked;
    return req;
  }

  /** Runs one driver call through the operation runner (policy, span, metrics, typed error). */
  private run<R>(t: StateTarget, op: StateOperationKind, fn: () => Promise<R>, storageKey?: string): Promise<R> {
    return this.runner.run(t.ops[op], storageKey === undefined ? undefined : { key: storageKey }, fn);
  }

  private async bulk<R extends { key: string }>(
    t: StateTarget,
    op: 'save' | 'delete',
    reqs: R[],
    call: (r: R) => Promise<void>,
    keys: string[],
  ): Promise<void> {
    const settled = await Promise.allSettled(reqs.map((r) => this.run(t, op, () => call(r), r.key)));
    const failures: { key: string; error: Error }[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'rejected') failures.push({ key: keys[i], error: s.reason as Error });
    });
    if (failures.length === 0) return;
    if (failures.length === 1) throw failures[0].error;
    throw new StateStoreError(
      t.name,
      op,
      `${failures.length} of ${reqs.length} items failed: ${failures.map((f) => `${f.key}: ${f.error.message}`).join('; ')}`,
      { cause: failures[0].error },
      failures,
    );
  }

  /**
   * An app-provided resolver (DAPR_STATE_POLICY_RESOLVER, from any module) wins;
   * otherwise the Resiliency spec's outbound policy for the component.
   */
  private policyFor(store: string): ResiliencyPolicy | undefined {
    const resolver = this.policyResolver ?? (this.moduleRef ? findPolicyResolver(this.moduleRef) : undefined);
    const custom = resolver?.(store);
    if (custom) return custom;
    return this.resiliency?.policyFor({ kind: 'component', name: store, direction: 'outbound' });
  }

  /** The store's operations: Dapr's `state/<store>/<op>` spans and `dapr_component_state_*` metrics. */
  private operations(
    name: string,
    keys: StateKeyScheme,
    policy: ResiliencyPolicy | undefined,
  ): Record<StateOperationKind, OutboundOperation<StorageKeyed | undefined>> {
    const { tracer, metrics } = this.runner;
    const ops = {} as Record<StateOperationKind, OutboundOperation<StorageKeyed | undefined>>;
    for (const kind of Object.keys(METRIC_OPERATION) as StateOperationKind[]) {
      const label = METRIC_OPERATION[kind];
      ops[kind] = {
        policy,
        leaf: true,
        // Dapr tags state spans db.system=state, not the vendor.
        startSpan: () => tracer.startStateSpan(name, label),
        record: (error, elapsedMs) => metrics.stateOperation(name, label, error === undefined, elapsedMs),
        toError: (err, call) => wrapError(name, keys, kind, err, call?.key),
      };
    }
    return ops;
  }

  /** The outbox publisher of a store whose metadata configures one (checked as the relay checks it at start-up). */
  private outboxOf(loaded: LoadedComponent<StateStoreDriver>): OutboxPublisher | undefined {
    const config = checkedOutboxConfig(loaded, this.runtime);
    if (!config) return undefined;
    const pubsub = this.moduleRef && lookup(this.moduleRef, PubSubService);
    if (!pubsub) {
      throw new ComponentConfigError(`component "${loaded.name}": the transactional outbox needs the pub/sub block (PubSubService), which this StateService cannot reach`, loaded.metadata.source, loaded.name, 'outboxPublishPubsub');
    }
    const commits = lookup(this.moduleRef!, OutboxCommits);
    return new OutboxPublisher(loaded.name, config, this.runtime.appId, this.runtime.options.namespace, pubsub, commits);
  }

  private async resolve(store: string): Promise<StateTarget> {
    if (!store) throw new StateStoreNotFoundError(String(store), this.runtime.names('state'));
    await this.runtime.start();
    const existing = this.targets.get(store);
    if (existing) return existing;
    const loaded = this.runtime.find<StateStoreDriver>('state', store);
    if (!loaded) throw new StateStoreNotFoundError(store, this.runtime.names('state'));
    const driver = loaded.driver;
    const props = loaded.metadata.properties;
    const keys = StateKeyScheme.fromMetadata(loaded.name, props, this.runtime.appId, this.runtime.options.namespace);
    const outbox = this.outboxOf(loaded);
    const target: StateTarget = {
      name: loaded.name,
      driver: loaded.driver,
      keys,
      features: new Set(loaded.driver.features()),
      ops: this.operations(loaded.name, keys, this.policyFor(loaded.name)),
      outbox,
      calls: {
        get: (_span, _signal, req) => driver.get(req),
        set: (_span, _signal, req) => driver.set(req),
        delete: (_span, _signal, req) => driver.delete(req),
      },
    };
    this.targets.set(store, target);
    return target;
  }
}

function wrapError(store: string, keys: StateKeyScheme, op: StateOperationKind, err: unknown, storageKey?: string): Error {
  const key = storageKey !== undefined ? keys.fromStorage(storageKey) : undefined;
  if (isETagError(err)) return etagErrorFor(err, op, key ?? (err.key !== undefined ? keys.fromStorage(err.key) : undefined));
  if (err instanceof DaprError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new StateStoreError(store, op, key !== undefined ? `key "${key}": ${message}` : message, { cause: err });
}

/** A provider of this app's module, if there is one. */
function lookup<T>(moduleRef: ModuleRef, token: Type<T>): T | undefined {
  try {
    return moduleRef.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

/** The value of a get's answer (undefined for a missing key). */
function valueOf(res: StateGetResponse | undefined): unknown {
  return res && res.data ? decodeStateValue(res.data, res.isBinary, res.exactBytes) : undefined;
}

function itemOf<T>(key: string, res: StateGetResponse | undefined): StateItem<T> | undefined {
  if (!res || !res.data) return undefined;
  const item: StateItem<T> = { key, value: decodeStateValue<T>(res.data, res.isBinary, res.exactBytes) };
  if (res.etag !== undefined) item.etag = res.etag;
  if (res.metadata && Object.keys(res.metadata).length) item.metadata = res.metadata;
  return item;
}
