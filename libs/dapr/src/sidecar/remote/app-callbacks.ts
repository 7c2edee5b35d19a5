import type { IncomingMessage } from 'node:http';
import { Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { decodeBindingData, encodeBindingData } from '../../bindings/binding-codec';
import { ConfigurationService } from '../../configuration/configuration.service';
import { BindingHandlersExplorer } from '../../bindings/binding-handlers.explorer';
import { DAPR_BINDING_CONTEXT } from '../../bindings/bindings.constants';
import { DaprHandlerBinder } from '../../handlers/handler-binder';
import { OperationRunner } from '../../operations/operation-runner';
import { PubSubExplorer, type SubscriptionHandler } from '../../pubsub/pubsub.explorer';
import { TopicSubscription } from '../../pubsub/topic-subscription';
import { NEVER_ABORTED, type ResiliencyPolicy } from '../../resiliency/resiliency-policy';
import { ComponentRuntime } from '../../runtime/component-runtime';
import type { PubSubDriver } from '../../spi/pubsub.spi';
import { CallerIdentity } from '../../invocation/caller-identity';
import { RemoteConfigurationService } from './remote-configuration.service';

/** One `@Subscribe` handler as daprd sees it: a route on this app. */
interface CallbackRoute {
  path: string;
  match?: string;
  bulk: boolean;
  /** The library's delivery pipeline for this handler alone (daprd already routed and retries). */
  pipeline: TopicSubscription;
}

/** daprd settles, retries and dead-letters: on the app side a delivery runs exactly once. */
const ONCE: ResiliencyPolicy = { execute: (fn) => fn(NEVER_ABORTED) };

/** The pipeline never subscribes or dead-letters on its own here: daprd does both. */
const NO_BROKER: PubSubDriver = {
  init: async () => undefined,
  features: () => [],
  publish: async () => {
    throw new Error('sidecar mode: daprd publishes dead letters');
  },
  subscribe: async () => {
    throw new Error('sidecar mode: daprd subscribes');
  },
};

/** Request headers that are HTTP plumbing rather than broker metadata. */
const NOT_METADATA = new Set(['host', 'connection', 'content-length', 'content-type', 'accept', 'accept-encoding', 'user-agent', 'dapr-api-token', 'transfer-encoding', 'keep-alive']);

/**
 * Sidecar mode, app side: the endpoints daprd calls. `GET /dapr/subscribe`
 * lists the app's `@Subscribe` handlers (one route per handler, `match`
 * rules evaluated by daprd, bulk and dead-letter settings included); each
 * route runs the delivery through the library's own pipeline — CloudEvent
 * decoding, payload validation, guards/interceptors/pipes/filters, DropEvent —
 * once, and answers daprd's SUCCESS / RETRY / DROP so that daprd retries
 * under its resiliency policy and dead-letters. `@OnBinding` handlers answer
 * the `OPTIONS /<binding>` probe and `POST /<binding>`. Controllers keep
 * serving invocations as they are.
 */
@Injectable()
export class AppCallbacks implements OnModuleInit {
  private readonly logger = new Logger('DaprSidecarMode');
  private readonly routes: CallbackRoute[] = [];
  private subscriptions: Record<string, unknown>[] = [];
  private token?: CallerIdentity;

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly explorer: PubSubExplorer,
    private readonly bindingsExplorer: BindingHandlersExplorer,
    private readonly binder: DaprHandlerBinder,
    private readonly runner: OperationRunner,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() private readonly configuration?: ConfigurationService,
  ) {}

  /** What `GET /dapr/subscribe` answers. */
  subscribeJson(): Record<string, unknown>[] {
    return this.subscriptions;
  }

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    const token = this.runtime.options.apiToken;
    if (token) this.token = new CallerIdentity(token);
    this.buildSubscriptions(this.explorer.explore());
    if (!adapter) {
      if (this.routes.length) this.logger.warn('sidecar mode needs an HTTP app (NestFactory.create) to receive events; this context has no HTTP server');
      return;
    }
    adapter.get('/dapr/subscribe', (req: IncomingMessage, res: unknown) => {
      if (!this.authorized(req)) return adapter.reply(res, { errorCode: 'ERR_UNAUTHENTICATED', message: 'invalid api token' }, 401);
      adapter.reply(res, this.subscriptions, 200);
    });
    adapter.get('/dapr/config', (_req: unknown, res: unknown) => adapter.reply(res, { entities: [] }, 200));
    for (const route of this.routes) {
      adapter.post(route.path, (req: IncomingMessage & { body?: unknown }, res: unknown) => {
        if (!this.authorized(req)) return adapter.reply(res, { errorCode: 'ERR_UNAUTHENTICATED', message: 'invalid api token' }, 401);
        void this.deliver(route, req).then(
          (answer) => adapter.reply(res, answer, 200),
          (err: Error) => {
            this.logger.warn(`delivery on ${route.path} failed: ${err.message}`);
            adapter.reply(res, { status: 'RETRY' }, 200);
          },
        );
      });
    }
    const configuration = this.configuration as unknown;
    if (configuration instanceof RemoteConfigurationService) {
      // Configuration updates of the app's subscriptions (daprd's POST /configuration/<store>/<key>).
      adapter.post('/configuration/:store/:key', (req: IncomingMessage & { body?: unknown }, res: unknown) => {
        if (!this.authorized(req)) return adapter.reply(res, { errorCode: 'ERR_UNAUTHENTICATED', message: 'invalid api token' }, 401);
        const key = decodeURIComponent((req.url ?? '').split('?')[0].split('/').slice(3).join('/'));
        void readBody(req)
          .then((body) => configuration.deliver(key, JSON.parse(body.toString('utf8')) as { id?: string; items?: Record<string, never> }))
          .then(
            (known) => adapter.reply(res, undefined, known ? 200 : 404),
            (err: Error) => {
              this.logger.warn(`configuration update for "${key}" failed: ${err?.message ?? err}`);
              adapter.reply(res, { error: err?.message ?? String(err) }, 500);
            },
          );
      });
    }
    for (const h of this.bindingsExplorer.explore().values()) {
      const path = `/${h.meta.name}`;
      const handler = this.binder.bind(h, { contextType: DAPR_BINDING_CONTEXT, argNames: ['data', 'metadata'] });
      adapter.options(path, (_req: unknown, res: unknown) => adapter.reply(res, undefined, 200));
      adapter.post(path, (req: IncomingMessage & { body?: unknown }, res: unknown) => {
        if (!this.authorized(req)) return adapter.reply(res, { errorCode: 'ERR_UNAUTHENTICATED', message: 'invalid api token' }, 401);
        void readBody(req)
          .then((body) => handler(decodeBindingData(body, 'application/json'), metadataOf(req)))
          .then(
            (result) => {
              if (result === undefined) return adapter.reply(res, undefined, 200);
              adapter.setHeader(res, 'content-type', 'application/json');
              adapter.reply(res, Buffer.from(encodeBindingData(result)), 200);
            },
            (err: Error) => {
              this.logger.warn(`input binding "${h.meta.name}" handler ${h.describe} failed: ${err?.message ?? err}`);
              adapter.reply(res, { error: err?.message ?? String(err) }, 500);
            },
          );
      });
      this.logger.log(`input binding "${h.meta.name}" → ${h.describe} (served at ${path} for the sidecar)`);
    }
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.token) return true;
    const presented = req.headers['dapr-api-token'];
    return this.token.tokenMatches(Array.isArray(presented) ? presented[0] : presented);
  }

  private buildSubscriptions(handlers: SubscriptionHandler[]): void {
    const groups = new Map<string, SubscriptionHandler[]>();
    for (const h of handlers) {
      const key = `${h.options.pubsub}\u0000${h.options.topic}`;
      groups.set(key, [...(groups.get(key) ?? []), h]);
    }
    let n = 0;
    for (const group of groups.values()) {
      const { pubsub, topic } = group[0].options;
      const metadata: Record<string, string> = {};
      for (const h of group) Object.assign(metadata, h.options.metadata);
      const deadLetterTopic = group.map((h) => h.options.deadLetterTopic).find((t) => t !== undefined);
      const bulkOption = group.map((h) => h.options.bulk).find((b) => b !== undefined && b !== false);
      const bulk = bulkOption === true || (typeof bulkOption === 'object' && bulkOption.enabled !== false);
      const rules: { match: string; path: string }[] = [];
      let defaultPath: string | undefined;
      for (const h of group) {
        const path = `/dapr/pubsub/${n++}/${safe(pubsub)}/${safe(topic)}`;
        const pipeline = new TopicSubscription({
          pubsub,
          topic,
          metadata: { ...metadata },
          driver: NO_BROKER,
          inbound: ONCE,
          runner: this.runner,
        });
        pipeline.router.add(h, undefined, h.describe);
        this.routes.push({ path, match: h.options.match, bulk, pipeline });
        if (h.options.match) rules.push({ match: h.options.match, path });
        else defaultPath = path;
      }
      const sub: Record<string, unknown> = { pubsubname: pubsub, topic, routes: defaultPath ? { rules, default: defaultPath } : { rules }, metadata };
      if (deadLetterTopic) sub.deadLetterTopic = deadLetterTopic;
      if (bulk) {
        const b = typeof bulkOption === 'object' ? bulkOption : {};
        sub.bulkSubscribe = { enabled: true, ...(b.maxMessagesCount ? { maxMessagesCount: b.maxMessagesCount } : {}), ...(b.maxAwaitDurationMs ? { maxAwaitDurationMs: b.maxAwaitDurationMs } : {}) };
      }
      this.subscriptions.push(sub);
      this.logger.log(`subscription ${pubsub}/${topic} served for the sidecar (${group.map((h) => h.describe).join(', ')})`);
    }
  }

  private async deliver(route: CallbackRoute, req: IncomingMessage & { body?: unknown }): Promise<unknown> {
    const body = await readBody(req);
    const raw = route.pipeline.config.metadata.rawPayload === 'true';
    const metadata = metadataOf(req);
    if (route.bulk && (req.headers['content-type'] ?? '').startsWith('application/json')) {
      const envelope = JSON.parse(body.toString('utf8')) as { entries?: { entryId: string; event: unknown; contentType?: string; metadata?: Record<string, string> }[] };
      const statuses = await Promise.all(
        (envelope.entries ?? []).map(async (e) => {
          const data = typeof e.event === 'string' ? Buffer.from(e.event, 'base64') : Buffer.from(JSON.stringify(e.event));
          const status = await route.pipeline.deliver({ topic: route.pipeline.config.topic, data, metadata: { ...metadata, ...e.metadata }, contentType: raw ? 'application/octet-stream' : 'application/cloudevents+json' });
          return { entryId: e.entryId, status };
        }),
      );
      return { statuses };
    }
    // A raw-payload subscription gets daprd's synthesized CloudEvent: hand the pipeline the original bytes.
    let data: Buffer = body;
    if (raw) {
      const ce = JSON.parse(body.toString('utf8')) as { data_base64?: string };
      if (typeof ce.data_base64 === 'string') data = Buffer.from(ce.data_base64, 'base64');
    }
    const status = await route.pipeline.deliver({ topic: route.pipeline.config.topic, data, metadata, contentType: 'application/cloudevents+json' });
    return { status };
  }
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '-');
}

function metadataOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (typeof v === 'string' && !NOT_METADATA.has(k)) out[k] = v;
  }
  return out;
}

/** The request body as bytes, whether or not the HTTP framework's body parser already read it. */
function readBody(req: IncomingMessage & { body?: unknown }): Promise<Buffer> {
  // body-parser sets `_body` once it consumed the stream (JSON, urlencoded); otherwise it is still unread.
  if (req.readableEnded || (req as { _body?: boolean })._body === true) {
    const b = req.body;
    if (b === undefined || b === null) return Promise.resolve(Buffer.alloc(0));
    if (Buffer.isBuffer(b)) return Promise.resolve(b);
    if (typeof b === 'string') return Promise.resolve(Buffer.from(b));
    return Promise.resolve(Buffer.from(JSON.stringify(b)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
