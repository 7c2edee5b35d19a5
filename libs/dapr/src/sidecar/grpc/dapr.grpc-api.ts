import type { StateConcurrency, StateConsistency } from '../../spi/state.spi';
import type { StateOperation, StateSaveItem } from '../../state/state.interfaces';
import { bindingApiError, secretApiError } from '../api/bindings-secrets-errors';
import { encodeBindingResponse } from '../api/binding-response';
import { bulkEntries, pubsubApiError } from '../api/pubsub-requests';
import { stateApiError } from '../api/state-errors';
import { encodeJsonValue, valueFromBytes } from '../api/value-bytes';
import { ApiError, malformed } from '../http/api-error';
import { DirectInvokeError } from '../invocation/direct-messaging';
import type { SidecarContext } from '../sidecar-context';
import { lockGrpcHandlers } from './lock.grpc-api';

/* Request and response shapes as @grpc/proto-loader gives them (camelCase, defaults filled in). */
type Metadata = Record<string, string>;
interface Etag {
  value: string;
}
interface StateOptionsMsg {
  concurrency: string;
  consistency: string;
}
interface StateItemMsg {
  key: string;
  value: Buffer;
  etag: Etag | null;
  metadata: Metadata;
  options: StateOptionsMsg | null;
}
interface AnyMsg {
  typeUrl: string;
  value: Buffer;
}

const CONCURRENCY: Record<string, StateConcurrency | undefined> = { CONCURRENCY_FIRST_WRITE: 'first-write', CONCURRENCY_LAST_WRITE: 'last-write' };
const CONSISTENCY: Record<string, StateConsistency | undefined> = { CONSISTENCY_EVENTUAL: 'eventual', CONSISTENCY_STRONG: 'strong' };
const VERBS = ['NONE', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

export type GrpcHandler = (request: any, headers: Record<string, string>) => Promise<unknown>;

/**
 * `dapr.proto.runtime.v1.Dapr` on the blocks: the same operations as the
 * HTTP API with gRPC's encodings (values are bytes, stored as they come
 * unless they are JSON). Methods not listed here answer UNIMPLEMENTED.
 */
export function daprGrpcHandlers(ctx: SidecarContext): Record<string, GrpcHandler> {
  const { state, pubsub } = ctx;

  return {
    async GetState(req: { storeName: string; key: string; consistency: string; metadata: Metadata }) {
      let item;
      try {
        item = await state.getItem(req.storeName, req.key, { consistency: CONSISTENCY[req.consistency], metadata: req.metadata });
      } catch (err) {
        throw stateApiError(err, 'get');
      }
      if (!item) return { data: Buffer.alloc(0), etag: '', metadata: {} };
      return { data: encodeJsonValue(item.value), etag: item.etag ?? '', metadata: item.metadata ?? {} };
    },

    async GetBulkState(req: { storeName: string; keys: string[]; parallelism: number; metadata: Metadata }) {
      let items;
      try {
        items = await state.getBulk(req.storeName, req.keys, { parallelism: req.parallelism || undefined, metadata: req.metadata });
      } catch (err) {
        throw stateApiError(err, 'bulkGet');
      }
      return {
        items: items.map((i) => ({
          key: i.key,
          data: i.value === undefined ? Buffer.alloc(0) : encodeJsonValue(i.value),
          etag: i.etag ?? '',
          error: i.error ?? '',
          metadata: {},
        })),
      };
    },

    async SaveState(req: { storeName: string; states: StateItemMsg[] }) {
      if (req.states.length === 0) return {};
      const items = req.states.map(saveItem);
      try {
        await state.save(req.storeName, items);
      } catch (err) {
        throw stateApiError(err, 'save');
      }
      return {};
    },

    async DeleteState(req: { storeName: string; key: string; etag: Etag | null; options: StateOptionsMsg | null; metadata: Metadata }) {
      try {
        await state.delete(req.storeName, req.key, {
          etag: req.etag?.value || undefined,
          concurrency: CONCURRENCY[req.options?.concurrency ?? ''],
          consistency: CONSISTENCY[req.options?.consistency ?? ''],
          metadata: req.metadata,
        });
      } catch (err) {
        throw stateApiError(err, 'delete');
      }
      return {};
    },

    async DeleteBulkState(req: { storeName: string; states: StateItemMsg[] }) {
      try {
        await state.deleteBulk(
          req.storeName,
          req.states.map((s) => ({ key: s.key, etag: s.etag?.value || undefined, metadata: s.metadata, concurrency: CONCURRENCY[s.options?.concurrency ?? ''] })),
        );
      } catch (err) {
        throw stateApiError(err, 'delete');
      }
      return {};
    },

    async ExecuteStateTransaction(req: { storeName: string; operations: { operationType: string; request: StateItemMsg | null }[]; metadata: Metadata }) {
      const ops: StateOperation[] = req.operations.map((op) => {
        const kind = op.operationType.toLowerCase();
        if (!op.request) throw malformed('a transaction operation needs a request');
        if (kind === 'upsert') return { operation: 'upsert', request: saveItem(op.request) };
        if (kind === 'delete') {
          return { operation: 'delete', request: { key: op.request.key, etag: op.request.etag?.value || undefined, metadata: op.request.metadata } };
        }
        throw new ApiError(400, 'ERR_NOT_SUPPORTED_STATE_OPERATION', `operation type ${op.operationType} not supported`);
      });
      try {
        await state.transaction(req.storeName, ops, req.metadata);
      } catch (err) {
        throw stateApiError(err, 'transaction');
      }
      return {};
    },

    async QueryStateAlpha1(req: { storeName: string; query: string; metadata: Metadata }) {
      let query: unknown;
      try {
        query = JSON.parse(req.query);
      } catch (err) {
        throw malformed(`failed parsing the query: ${(err as Error).message}`);
      }
      let res;
      try {
        res = await state.query(req.storeName, query as never);
      } catch (err) {
        throw stateApiError(err, 'query');
      }
      return {
        results: res.results.map((r) => ({ key: r.key, data: encodeJsonValue(r.value), etag: r.etag ?? '', error: '' })),
        token: res.token ?? '',
        metadata: {},
      };
    },

    async PublishEvent(req: { pubsubName: string; topic: string; data: Buffer; dataContentType: string; metadata: Metadata }) {
      try {
        await pubsub.publish(req.pubsubName, req.topic, req.data, {
          contentType: req.dataContentType || 'application/json',
          metadata: req.metadata,
        });
      } catch (err) {
        throw pubsubApiError(err);
      }
      return {};
    },

    BulkPublishEventAlpha1: bulkPublish,
    BulkPublishEvent: bulkPublish,

    async InvokeService(req: { id: string; message: { method: string; data: AnyMsg | null; contentType: string; httpExtension: { verb: string; querystring: string } | null } | null }, headers) {
      const msg = req.message;
      if (!msg) throw malformed('InvokeService needs a message');
      const verb = msg.httpExtension && msg.httpExtension.verb !== 'NONE' && VERBS.includes(msg.httpExtension.verb) ? msg.httpExtension.verb : 'POST';
      const forwarded: Record<string, string> = { ...headers };
      if (msg.contentType) forwarded['content-type'] = msg.contentType;
      let res;
      try {
        res = await ctx.invoker.invoke(req.id, {
          verb,
          method: msg.method,
          query: msg.httpExtension?.querystring ?? '',
          headers: forwarded,
          body: msg.data?.value ?? Buffer.alloc(0),
        });
      } catch (err) {
        if (err instanceof DirectInvokeError) throw new ApiError(err.status, err.errorCode, err.message);
        throw new ApiError(500, 'ERR_DIRECT_INVOKE', (err as Error).message);
      }
      if (res.status < 200 || res.status > 299) {
        throw new ApiError(res.status, 'ERR_DIRECT_INVOKE', res.body.toString('utf8') || `app answered ${res.status}`);
      }
      const contentType = res.headers['content-type'];
      return { data: { typeUrl: '', value: res.body }, contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '' };
    },

    async InvokeBinding(req: { name: string; data: Buffer; metadata: Metadata; operation: string }) {
      let res;
      try {
        // gRPC data is bytes already: it reaches the component unchanged.
        res = await ctx.bindings.invoke(req.name, req.operation, req.data.length ? req.data : undefined, req.metadata);
      } catch (err) {
        throw bindingApiError(err);
      }
      return { data: encodeBindingResponse(res.data) ?? Buffer.alloc(0), metadata: res.metadata };
    },

    async GetSecret(req: { storeName: string; key: string; metadata: Metadata }) {
      noSecretStores(ctx);
      try {
        return { data: await ctx.secrets.get(req.storeName, req.key, req.metadata) };
      } catch (err) {
        throw secretApiError(err);
      }
    },

    async GetBulkSecret(req: { storeName: string; metadata: Metadata }) {
      noSecretStores(ctx);
      let all;
      try {
        all = await ctx.secrets.getBulk(req.storeName, req.metadata);
      } catch (err) {
        throw secretApiError(err);
      }
      const data: Record<string, { secrets: Record<string, string> }> = {};
      for (const [name, secrets] of Object.entries(all)) data[name] = { secrets };
      return { data };
    },

    ...lockGrpcHandlers(ctx),

    async GetMetadata() {
      const md = ctx.metadata.toJSON() as {
        id: string;
        runtimeVersion: string;
        extended: Record<string, string>;
        components: { name: string; type: string; version: string; capabilities: string[] }[];
        appConnectionProperties: { port?: number; protocol: string; channelAddress: string; maxConcurrency?: number; health?: Record<string, unknown> };
      };
      return {
        id: md.id,
        runtimeVersion: md.runtimeVersion,
        extendedMetadata: md.extended,
        registeredComponents: md.components,
        enabledFeatures: [],
        subscriptions: ctx.metadata.subscriptions().map((s) => ({
          pubsubName: s.pubsubname,
          topic: s.topic,
          metadata: s.metadata,
          rules: { rules: s.routes.map((r) => ({ match: r.match ?? '', path: r.path })) },
          deadLetterTopic: s.deadLetterTopic ?? '',
          type: s.type,
        })),
        appConnectionProperties: {
          port: md.appConnectionProperties.port ?? 0,
          protocol: md.appConnectionProperties.protocol,
          channelAddress: md.appConnectionProperties.channelAddress,
          maxConcurrency: md.appConnectionProperties.maxConcurrency ?? 0,
          health: md.appConnectionProperties.health ?? null,
        },
      };
    },

    async SetMetadata(req: { key: string; value: string }) {
      ctx.metadata.extended.set(req.key, req.value);
      return {};
    },

    async Shutdown() {
      setImmediate(() => ctx.requestShutdown());
      return {};
    },
  };

  async function bulkPublish(req: { pubsubName: string; topic: string; entries: { entryId: string; event: Buffer; contentType: string; metadata: Metadata }[]; metadata: Metadata }) {
    let res;
    try {
      const entries = bulkEntries(
        req.entries.map((e) => ({ entryId: e.entryId, event: e.event, contentType: e.contentType, metadata: Object.keys(e.metadata).length ? e.metadata : undefined })),
        // gRPC entries are bytes already.
        (_id, event) => event as Buffer,
      );
      res = await pubsub.publishBulk(req.pubsubName, req.topic, entries, { metadata: req.metadata });
    } catch (err) {
      throw pubsubApiError(err);
    }
    return { failedEntries: res.failedEntries.map((f) => ({ entryId: f.entryId, error: f.error })) };
  }
}

function saveItem(s: StateItemMsg): StateSaveItem<unknown> {
  if (!s.key) throw malformed('"key" is a required field');
  const item: StateSaveItem<unknown> = { key: s.key, value: valueFromBytes(s.value) };
  if (s.etag?.value) item.etag = s.etag.value;
  if (Object.keys(s.metadata).length) item.metadata = s.metadata;
  const concurrency = CONCURRENCY[s.options?.concurrency ?? ''];
  const consistency = CONSISTENCY[s.options?.consistency ?? ''];
  if (concurrency || consistency) item.options = { concurrency, consistency };
  return item;
}

function noSecretStores(ctx: SidecarContext): void {
  if (ctx.runtime.names('secretstores').length === 0) throw new ApiError(500, 'ERR_SECRET_STORES_NOT_CONFIGURED', 'secret store is not configured');
}
