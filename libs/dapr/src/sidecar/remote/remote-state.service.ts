import { SidecarApiError } from '../../errors/sidecar.errors';
import { StateRequestInvalidError, type StateOperationKind } from '../../errors/state.errors';
import type { StateFeature } from '../../spi/state.spi';
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
} from '../../state/state.interfaces';
import { stateErrorOf } from './remote-errors';
import { metadataQuery, query, seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/**
 * `StateService` in sidecar mode: each call is daprd's state API over HTTP,
 * sent as the official SDK sends it. Values are JSON (daprd's HTTP API
 * JSON-encodes them); bytes need the in-process runtime or gRPC and are refused.
 */
export class RemoteStateService {
  constructor(private readonly client: SidecarClient) {}

  async get<T = unknown>(store: string, key: string, options?: StateGetOptions): Promise<T | undefined> {
    return (await this.getItem<T>(store, key, options))?.value;
  }

  async getItem<T = unknown>(store: string, key: string, options?: StateGetOptions): Promise<StateItem<T> | undefined> {
    const res = await this.run('get', store, key, () =>
      this.client.call({ method: 'GET', path: `/v1.0/state/${seg(store)}/${seg(key)}${query(options?.metadata, options?.consistency ? { consistency: options.consistency } : undefined)}` }),
    );
    if (res.status === 204 || res.body.length === 0) return undefined;
    const item: StateItem<T> = { key, value: decodeValue<T>(res.body) };
    const etag = res.headers.etag;
    if (typeof etag === 'string') item.etag = etag;
    const metadata: Record<string, string> = {};
    for (const h in res.headers) if (h.startsWith('metadata.')) metadata[h.slice(9)] = String(res.headers[h]);
    if (Object.keys(metadata).length) item.metadata = metadata;
    return item;
  }

  async getBulk<T = unknown>(store: string, keys: string[], options?: StateGetBulkOptions): Promise<StateBulkItem<T>[]> {
    if (!Array.isArray(keys)) throw new StateRequestInvalidError('getBulk needs an array of keys');
    const body = { keys, parallelism: options?.parallelism ?? 10 };
    const res = await this.run('bulkGet', store, undefined, () =>
      this.client.call({ method: 'POST', path: `/v1.0/state/${seg(store)}/bulk${metadataQuery(options?.metadata)}`, body: JSON.stringify(body) }),
    );
    const items = JSON.parse(res.body.toString('utf8')) as { key: string; data?: unknown; etag?: string; error?: string }[];
    return items.map((i) => {
      const item: StateBulkItem<T> = { key: i.key };
      if (i.error) item.error = i.error;
      else if (i.data !== undefined) {
        item.value = i.data as T;
        if (i.etag !== undefined) item.etag = i.etag;
      }
      return item;
    });
  }

  async save<T = unknown>(store: string, items: StateSaveItem<T> | StateSaveItem<T>[], options?: StateSaveOptions): Promise<void> {
    const list = Array.isArray(items) ? items : [items];
    if (list.length === 0) return;
    const body = JSON.stringify(list.map(saveBody));
    await this.run('save', store, list.length === 1 ? list[0].key : undefined, () =>
      this.client.call({ method: 'POST', path: `/v1.0/state/${seg(store)}${metadataQuery(options?.metadata)}`, body }),
    );
  }

  async delete(store: string, key: string, options?: StateDeleteOptions): Promise<void> {
    const params: Record<string, string> = {};
    if (options?.concurrency) params.concurrency = options.concurrency;
    if (options?.consistency) params.consistency = options.consistency;
    const headers = options?.etag ? { 'if-match': options.etag } : undefined;
    await this.run('delete', store, key, () =>
      this.client.call({ method: 'DELETE', path: `/v1.0/state/${seg(store)}/${seg(key)}${query(options?.metadata, params)}`, headers }),
    );
  }

  async deleteBulk(store: string, items: (string | StateDeleteItem)[]): Promise<void> {
    await Promise.all(items.map((i) => (typeof i === 'string' ? this.delete(store, i) : this.delete(store, i.key, i))));
  }

  async transaction(store: string, operations: StateOperation[], metadata?: Record<string, string>): Promise<void> {
    if (!Array.isArray(operations)) throw new StateRequestInvalidError('transaction needs an array of operations');
    const ops = operations.map((op) => ({ operation: op.operation, request: op.operation === 'upsert' ? saveBody(op.request as StateSaveItem<unknown>) : op.request }));
    await this.run('transaction', store, undefined, () =>
      this.client.call({ method: 'POST', path: `/v1.0/state/${seg(store)}/transaction`, body: JSON.stringify({ operations: ops, metadata }) }),
    );
  }

  async query<T = unknown>(store: string, q: StateQuery): Promise<StateQueryResponse<T>> {
    const res = await this.run('query', store, undefined, () =>
      this.client.call({ method: 'POST', path: `/v1.0-alpha1/state/${seg(store)}/query`, body: JSON.stringify(q) }),
    );
    if (res.status === 204 || res.body.length === 0) return { results: [] };
    const json = JSON.parse(res.body.toString('utf8')) as { results: { key: string; data: T; etag?: string }[]; token?: string };
    const results = json.results.map((r) => (r.etag !== undefined ? { key: r.key, value: r.data, etag: r.etag } : { key: r.key, value: r.data }));
    return json.token ? { results, token: json.token } : { results };
  }

  /** The store's capabilities as the sidecar's metadata API reports them. */
  async features(store: string): Promise<StateFeature[]> {
    const res = await this.client.call({ method: 'GET', path: '/v1.0/metadata' });
    const md = JSON.parse(res.body.toString('utf8')) as { components?: { name: string; capabilities?: string[] }[] };
    return (md.components?.find((c) => c.name === store)?.capabilities ?? []) as StateFeature[];
  }

  private async run<R>(op: StateOperationKind, store: string, key: string | undefined, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof SidecarApiError ? stateErrorOf(err, op, store, key) : err;
    }
  }
}

function saveBody(item: StateSaveItem<unknown>): Record<string, unknown> {
  if (!item || typeof item !== 'object') throw new StateRequestInvalidError('a state item must be an object with a key');
  if (item.value instanceof Uint8Array || item.value instanceof ArrayBuffer) {
    throw new StateRequestInvalidError(`state item "${item.key}": binary values cannot travel over daprd's HTTP state API (it JSON-encodes values); store them in-process or base64-encode them`);
  }
  const body: Record<string, unknown> = { key: item.key, value: item.value === undefined ? null : item.value };
  if (item.etag !== undefined) body.etag = item.etag;
  if (item.metadata) body.metadata = item.metadata;
  if (item.options) body.options = item.options;
  return body;
}

function decodeValue<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    return body as unknown as T;
  }
}
