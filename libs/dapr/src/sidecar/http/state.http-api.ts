import type { StateOperation, StateSaveItem } from '../../state/state.interfaces';
import type { StateConcurrency, StateConsistency } from '../../spi/state.spi';
import { stateApiError } from '../api/state-errors';
import { encodeJsonValue } from '../api/value-bytes';
import type { SidecarContext } from '../sidecar-context';
import { ApiError, malformed } from './api-error';
import { field, stringField, stringMap } from './go-json';
import type { HttpRouter } from './http-router';

const WRITE = ['POST', 'PUT'];

/**
 * Dapr's state API over HTTP (`/v1.0/state/...`, query under `/v1.0-alpha1`):
 * values travel as JSON, ETags in `ETag` / `If-Match`, request metadata as
 * `metadata.*` query parameters. The state block does the work.
 */
export function registerStateHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  const { state } = ctx;

  router.add('GET', '/v1.0/state/:store/:key', async (x) => {
    const { store, key } = x.params;
    const consistency = (x.query.get('consistency') || undefined) as StateConsistency | undefined;
    let item;
    try {
      item = await state.getItem(store, key, { consistency, metadata: x.metadata() });
    } catch (err) {
      throw stateApiError(err, 'get');
    }
    if (!item) return x.empty(204);
    const headers: Record<string, string> = {};
    if (item.etag !== undefined) headers.etag = item.etag;
    if (item.metadata) for (const k in item.metadata) headers[`metadata.${k}`] = item.metadata[k];
    x.send(200, encodeJsonValue(item.value), 'application/json', headers);
  });

  router.add(WRITE, '/v1.0/state/:store', async (x) => {
    const body = await x.json();
    if (body === undefined) return x.empty(204);
    if (!Array.isArray(body)) throw malformed('failed deserializing HTTP body: the body must be a JSON array of state items');
    if (body.length === 0) return x.empty(204);
    const items = body.map(saveItem);
    try {
      await state.save(x.params.store, items, { metadata: x.metadata() });
    } catch (err) {
      throw stateApiError(err, 'save');
    }
    x.empty(204);
  });

  router.add('DELETE', '/v1.0/state/:store/:key', async (x) => {
    const { store, key } = x.params;
    // The presence of If-Match sets the ETag; an empty value means none.
    const etag = x.header('if-match') || undefined;
    try {
      await state.delete(store, key, {
        etag,
        concurrency: (x.query.get('concurrency') || undefined) as StateConcurrency | undefined,
        consistency: (x.query.get('consistency') || undefined) as StateConsistency | undefined,
        metadata: x.metadata(),
      });
    } catch (err) {
      throw stateApiError(err, 'delete');
    }
    x.empty(204);
  });

  router.add(WRITE, '/v1.0/state/:store/bulk', async (x) => {
    const body = (await x.json()) ?? {};
    const keys = field(body, 'keys');
    if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))) {
      throw malformed('failed deserializing HTTP body: keys must be an array of strings');
    }
    const parallelism = Number(field(body, 'parallelism')) || undefined;
    const metadata = { ...stringMap(body, 'metadata'), ...x.metadata() };
    let items;
    try {
      items = await state.getBulk(x.params.store, (keys as string[] | undefined) ?? [], { parallelism, metadata });
    } catch (err) {
      throw stateApiError(err, 'bulkGet');
    }
    // Dapr's BulkGetResponse: `data` holds the raw JSON value (not `value` as the docs say).
    let json = '[';
    items.forEach((item, i) => {
      if (i) json += ',';
      json += `{"key":${JSON.stringify(item.key)}`;
      if (item.value !== undefined) json += `,"data":${encodeJsonValue(item.value).toString('utf8')}`;
      if (item.etag !== undefined) json += `,"etag":${JSON.stringify(item.etag)}`;
      if (item.error) json += `,"error":${JSON.stringify(item.error)}`;
      json += '}';
    });
    x.send(200, json + ']', 'application/json');
  });

  router.add(WRITE, '/v1.0/state/:store/transaction', async (x) => {
    const body = await x.json();
    const requestMetadata = x.metadata();
    const operations = field(body, 'operations');
    if (operations !== undefined && !Array.isArray(operations)) {
      throw malformed('failed deserializing HTTP body: operations must be an array');
    }
    const ops = ((operations as unknown[] | undefined) ?? []).map((op) => transactionOperation(op, requestMetadata));
    const metadata = { ...stringMap(body, 'metadata'), ...requestMetadata };
    try {
      await state.transaction(x.params.store, ops, metadata);
    } catch (err) {
      throw stateApiError(err, 'transaction');
    }
    x.empty(204);
  });

  router.add(WRITE, '/v1.0-alpha1/state/:store/query', async (x) => {
    const body = await x.json();
    if (!body || typeof body !== 'object') throw malformed('failed deserializing HTTP body: the query must be a JSON object');
    let res;
    try {
      res = await state.query(x.params.store, body as never);
    } catch (err) {
      throw stateApiError(err, 'query');
    }
    if (res.results.length === 0) return x.empty(204);
    let json = '{"results":[';
    res.results.forEach((r, i) => {
      if (i) json += ',';
      json += `{"key":${JSON.stringify(r.key)},"data":${encodeJsonValue(r.value).toString('utf8')}`;
      if (r.etag !== undefined) json += `,"etag":${JSON.stringify(r.etag)}`;
      json += '}';
    });
    json += ']';
    if (res.token) json += `,"token":${JSON.stringify(res.token)}`;
    x.send(200, json + '}', 'application/json');
  });
}

/** One element of a save body (`{key, value, etag, metadata, options}`), checked as daprd checks it. */
function saveItem(raw: unknown): StateSaveItem<unknown> {
  if (!raw || typeof raw !== 'object') throw malformed('failed deserializing HTTP body: a state item must be an object');
  const key = field(raw, 'key');
  if (typeof key !== 'string' || key === '') throw malformed('"key" is a required field');
  const item: StateSaveItem<unknown> = { key, value: field(raw, 'value') };
  const etag = field(raw, 'etag');
  if (etag !== undefined && etag !== null) item.etag = String(etag);
  const metadata = stringMap(raw, 'metadata');
  if (metadata) item.metadata = metadata;
  const options = requestOptions(field(raw, 'options'));
  if (options) item.options = options;
  return item;
}

function requestOptions(raw: unknown): StateSaveItem<unknown>['options'] {
  if (!raw || typeof raw !== 'object') return undefined;
  const concurrency = stringField(raw, 'concurrency') || undefined;
  const consistency = stringField(raw, 'consistency') || undefined;
  if (!concurrency && !consistency) return undefined;
  return { concurrency: concurrency as StateConcurrency, consistency: consistency as StateConsistency };
}

function transactionOperation(raw: unknown, requestMetadata: Record<string, string>): StateOperation {
  const kind = String(field(raw, 'operation') ?? '').toLowerCase();
  const request = field(raw, 'request');
  if (kind !== 'upsert' && kind !== 'delete') {
    throw new ApiError(400, 'ERR_NOT_SUPPORTED_STATE_OPERATION', `operation type ${String(field(raw, 'operation'))} not supported`);
  }
  if (!request || typeof request !== 'object') throw malformed('a transaction operation needs a request');
  // Query metadata goes into every operation as well as the transaction (item values win).
  const withMetadata = (m?: Record<string, string>) => (m || Object.keys(requestMetadata).length ? { ...requestMetadata, ...m } : undefined);
  if (kind === 'upsert') {
    const item = saveItem(request);
    const metadata = withMetadata(item.metadata);
    if (metadata) item.metadata = metadata;
    return { operation: 'upsert', request: item };
  }
  const key = field(request, 'key');
  if (typeof key !== 'string' || key === '') throw malformed('"key" is a required field');
  const etag = field(request, 'etag');
  const out: { key: string; etag?: string; metadata?: Record<string, string> } = { key };
  if (etag !== undefined && etag !== null && etag !== '') out.etag = String(etag);
  const metadata = withMetadata(stringMap(request, 'metadata'));
  if (metadata) out.metadata = metadata;
  return { operation: 'delete', request: out };
}
