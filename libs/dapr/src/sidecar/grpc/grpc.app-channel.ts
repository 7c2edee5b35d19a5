import type * as GrpcJs from '@grpc/grpc-js';
import {
  AppDeliveryError,
  type AppBulkDelivery,
  type AppChannel,
  type AppEventDelivery,
  type AppEventStatus,
  type AppInvokeRequest,
  type AppResponse,
} from '../app-channel/app-channel';
import type { AppSubscription } from '../app-channel/app-subscription';
import { metadataHeaders } from '../app-channel/metadata-headers';
import { waitForPort } from '../app-channel/wait-for-port';
import { GrpcCode } from './grpc-errors';
import type { GrpcStack } from './grpc-stack';
import { toStruct } from './struct';

export interface GrpcAppChannelOptions {
  appId: string;
  host: string;
  port: number;
  appApiToken?: string;
  warn: (message: string) => void;
}

type Client = GrpcJs.Client & Record<string, unknown>;

/** CloudEvent fields the gRPC envelope carries in its own fields (the rest go in `extensions`). */
const ENVELOPE_FIELDS = new Set(['id', 'source', 'type', 'specversion', 'datacontenttype', 'data', 'data_base64']);

/** gRPC code → HTTP status, as daprd reports a gRPC app's answer to an HTTP caller. */
const HTTP_FOR_GRPC: Record<number, number> = {
  [GrpcCode.OK]: 200,
  [GrpcCode.CANCELLED]: 499,
  [GrpcCode.INVALID_ARGUMENT]: 400,
  [GrpcCode.DEADLINE_EXCEEDED]: 504,
  [GrpcCode.NOT_FOUND]: 404,
  [GrpcCode.ALREADY_EXISTS]: 409,
  [GrpcCode.PERMISSION_DENIED]: 403,
  [GrpcCode.RESOURCE_EXHAUSTED]: 429,
  [GrpcCode.FAILED_PRECONDITION]: 400,
  [GrpcCode.ABORTED]: 409,
  [GrpcCode.OUT_OF_RANGE]: 400,
  [GrpcCode.UNIMPLEMENTED]: 501,
  [GrpcCode.UNAVAILABLE]: 503,
  [GrpcCode.UNAUTHENTICATED]: 401,
};

/**
 * Dapr's app-callback protocol over gRPC (`--app-protocol grpc`): the app
 * serves `AppCallback` (OnInvoke, ListTopicSubscriptions, OnTopicEvent,
 * ListInputBindings, OnBindingEvent), `AppCallbackAlpha` (bulk events) and
 * `AppCallbackHealthCheck`. Event outcomes follow daprd's gRPC postman:
 * UNIMPLEMENTED acks, any other error retries.
 */
export class GrpcAppChannel implements AppChannel {
  readonly protocol = 'grpc' as const;
  private readonly app: Client;
  private readonly alpha: Client;
  private readonly health: Client;
  private inputBindings?: Promise<Set<string>>;

  constructor(
    private readonly options: GrpcAppChannelOptions,
    private readonly stack: GrpcStack,
  ) {
    const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    const creds = stack.grpc.credentials.createInsecure();
    this.app = new stack.AppCallback(address, creds);
    this.alpha = new stack.AppCallbackAlpha(address, creds);
    this.health = new stack.AppCallbackHealthCheck(address, creds);
  }

  waitUntilListening(signal: AbortSignal): Promise<void> {
    const { host, port } = this.options;
    return waitForPort(host, port, signal, () => this.options.warn(`waiting for the gRPC app on ${host}:${port}`));
  }

  async subscriptions(): Promise<AppSubscription[]> {
    let res: { subscriptions: GrpcTopicSubscription[] };
    try {
      res = await this.call(this.app, 'ListTopicSubscriptions', {});
    } catch (err) {
      if ((err as GrpcJs.ServiceError).code !== GrpcCode.UNIMPLEMENTED) this.options.warn(`ListTopicSubscriptions failed: ${(err as Error).message}`);
      return [];
    }
    return res.subscriptions.flatMap((s): AppSubscription[] => {
      const routes = (s.routes?.rules ?? []).filter((r) => r.path).map((r) => ({ match: r.match?.trim() || undefined, path: r.path }));
      if (s.routes?.default) routes.push({ match: undefined, path: s.routes.default });
      // A gRPC app without routes gets its events on OnTopicEvent with an empty path.
      if (routes.length === 0) routes.push({ match: undefined, path: '' });
      const bulk = s.bulkSubscribe?.enabled
        ? { enabled: true, maxMessagesCount: s.bulkSubscribe.maxMessagesCount || undefined, maxAwaitDurationMs: s.bulkSubscribe.maxAwaitDurationMs || undefined }
        : undefined;
      return [{ pubsubname: s.pubsubName, topic: s.topic, routes, deadLetterTopic: s.deadLetterTopic || undefined, metadata: s.metadata ?? {}, bulkSubscribe: bulk, type: 'PROGRAMMATIC' }];
    });
  }

  async config(): Promise<Record<string, unknown> | undefined> {
    return undefined;
  }

  async invoke(req: AppInvokeRequest): Promise<AppResponse> {
    const q = req.path.indexOf('?');
    const method = (q < 0 ? req.path : req.path.slice(0, q)).replace(/^\//, '');
    const contentType = first(req.headers['content-type']) ?? '';
    const headers: Record<string, string> = {};
    for (const k in req.headers) {
      const v = first(req.headers[k]);
      if (v !== undefined && k !== 'content-type') headers[k] = v;
    }
    try {
      const res = await this.call<{ data: { value: Buffer } | null; contentType: string }>(this.app, 'OnInvoke', {
        method,
        data: { typeUrl: '', value: req.body },
        contentType,
        httpExtension: { verb: req.verb.toUpperCase(), querystring: q < 0 ? '' : req.path.slice(q + 1) },
      }, metadataHeaders(headers, this.tokenHeader()));
      const out: AppResponse = { status: 200, headers: {}, body: res.data?.value ?? Buffer.alloc(0) };
      if (res.contentType) out.headers['content-type'] = res.contentType;
      return out;
    } catch (err) {
      const e = err as GrpcJs.ServiceError;
      if (typeof e.code !== 'number') throw err;
      return { status: HTTP_FOR_GRPC[e.code] ?? 500, headers: { 'content-type': 'text/plain' }, body: Buffer.from(e.details ?? e.message ?? '') };
    }
  }

  async deliverEvent(d: AppEventDelivery): Promise<AppEventStatus> {
    const envelope = topicEventRequest(d.event, d.topic, d.pubsub, d.path);
    const headers = metadataHeaders(d.metadata, this.tokenHeader());
    if (d.traceparent) headers.traceparent = d.traceparent;
    if (d.tracestate) headers.tracestate = d.tracestate;
    let res: { status: string };
    try {
      res = await this.call(this.app, 'OnTopicEvent', envelope, headers);
    } catch (err) {
      const e = err as GrpcJs.ServiceError;
      if (e.code === GrpcCode.UNIMPLEMENTED) {
        this.options.warn(`non-retriable error returned from app while processing pub/sub event on ${d.pubsub}/${d.topic}: ${e.message}`);
        return 'SUCCESS';
      }
      throw new AppDeliveryError(`error returned from app while processing pub/sub event: ${e.message}`, typeof e.code === 'number' ? e.code : undefined);
    }
    if (res.status === 'SUCCESS') return 'SUCCESS';
    if (res.status === 'RETRY') return 'RETRY';
    if (res.status === 'DROP') return 'DROP';
    throw new AppDeliveryError(`unknown status returned from app while processing pub/sub event, status: ${res.status}`);
  }

  async deliverBulk(d: AppBulkDelivery): Promise<Map<string, AppEventStatus>> {
    const out = new Map<string, AppEventStatus>();
    for (const e of d.entries) out.set(e.entryId, 'RETRY');
    const entries = d.entries.map((e) => {
      const base = { entryId: e.entryId, contentType: e.contentType, metadata: e.metadata };
      if (typeof e.event === 'string') return { ...base, bytes: Buffer.from(e.event, 'base64') };
      const ce = topicEventRequest(e.event as Record<string, unknown>, d.topic, d.pubsub, d.path);
      return { ...base, cloudEvent: { id: ce.id, source: ce.source, type: ce.type, specVersion: ce.specVersion, dataContentType: ce.dataContentType, data: ce.data, extensions: ce.extensions } };
    });
    let res: { statuses: { entryId: string; status: string }[] };
    try {
      res = await this.call(this.alpha, 'OnBulkTopicEventAlpha1', {
        id: crypto.randomUUID(),
        entries,
        metadata: d.metadata,
        topic: d.topic,
        pubsubName: d.pubsub,
        type: 'com.dapr.event.sent.bulk',
        path: d.path,
      }, this.tokenHeader());
    } catch {
      return out;
    }
    for (const s of res.statuses) {
      if (!out.has(s.entryId)) continue;
      if (s.status === 'SUCCESS' || s.status === 'DROP') out.set(s.entryId, s.status);
    }
    return out;
  }

  async handlesBinding(route: string): Promise<boolean> {
    this.inputBindings ??= this.call<{ bindings: string[] }>(this.app, 'ListInputBindings', {}, this.tokenHeader()).then(
      (r) => new Set(r.bindings),
      () => new Set<string>(),
    );
    return (await this.inputBindings).has(route.replace(/^\//, ''));
  }

  async deliverBinding(route: string, data: Uint8Array, metadata: Record<string, string>): Promise<Uint8Array | undefined> {
    try {
      const res = await this.call<{ data: Buffer }>(this.app, 'OnBindingEvent', { name: route.replace(/^\//, ''), data: Buffer.from(data), metadata }, this.tokenHeader());
      return res.data.length ? res.data : undefined;
    } catch (err) {
      const e = err as GrpcJs.ServiceError;
      throw new AppDeliveryError(`app failed input binding event on ${route}: ${e.message}`, typeof e.code === 'number' ? e.code : undefined);
    }
  }

  async probe(_path: string, timeoutMs: number): Promise<boolean> {
    try {
      await this.call(this.health, 'HealthCheck', {}, this.tokenHeader(), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.app.close();
    this.alpha.close();
    this.health.close();
  }

  private tokenHeader(): Record<string, string> {
    return this.options.appApiToken ? { 'dapr-api-token': this.options.appApiToken } : {};
  }

  private call<T>(client: Client, method: string, request: unknown, headers: Record<string, string> = this.tokenHeader(), timeoutMs?: number): Promise<T> {
    const md = new this.stack.grpc.Metadata();
    for (const k in headers) md.set(k, headers[k]);
    const fn = client[method] as (req: unknown, md: GrpcJs.Metadata, opts: GrpcJs.CallOptions, cb: (err: GrpcJs.ServiceError | null, res: T) => void) => void;
    return new Promise((resolve, reject) => {
      fn.call(client, request, md, timeoutMs ? { deadline: Date.now() + timeoutMs } : {}, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
}

interface GrpcTopicSubscription {
  pubsubName: string;
  topic: string;
  metadata: Record<string, string>;
  routes: { rules: { match: string; path: string }[]; default: string } | null;
  deadLetterTopic: string;
  bulkSubscribe: { enabled: boolean; maxMessagesCount: number; maxAwaitDurationMs: number } | null;
}

/** daprd's `GRPCEnvelopeFromSubscriptionMessage`: CloudEvent fields into TopicEventRequest, the rest into `extensions`. */
function topicEventRequest(event: Record<string, unknown>, topic: string, pubsub: string, path: string) {
  const str = (k: string) => (typeof event[k] === 'string' ? (event[k] as string) : '');
  const dataContentType = str('datacontenttype');
  let data: Buffer = Buffer.alloc(0);
  if (typeof event.data_base64 === 'string') data = Buffer.from(event.data_base64, 'base64');
  else if (event.data !== undefined && event.data !== null) {
    const ct = dataContentType.toLowerCase();
    if (ct.startsWith('text/') || ct.includes('xml')) data = Buffer.from(typeof event.data === 'string' ? event.data : JSON.stringify(event.data));
    else data = Buffer.from(JSON.stringify(event.data));
  }
  const extensions: Record<string, unknown> = {};
  for (const k in event) if (!ENVELOPE_FIELDS.has(k)) extensions[k] = event[k];
  return {
    id: str('id'),
    source: str('source'),
    type: str('type'),
    specVersion: str('specversion'),
    dataContentType,
    data,
    topic,
    pubsubName: pubsub,
    path,
    extensions: toStruct(extensions),
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
