import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { extractTraceContext } from '../../observability/trace-context';
import { CallerIdentity } from '../../invocation/caller-identity';
import { appIdFromHeaders } from '../invocation/invoke-headers';
import type { SidecarContext } from '../sidecar-context';
import { ApiError } from './api-error';
import { registerBindingsHttpApi } from './bindings.http-api';
import { registerConfigurationHttpApi } from './configuration.http-api';
import { HttpExchange } from './http-exchange';
import { HttpRouter } from './http-router';
import { invokeByHeader, registerInvokeHttpApi } from './invoke.http-api';
import { registerLockHttpApi } from './lock.http-api';
import { registerMetadataHttpApi } from './metadata.http-api';
import { registerPubSubHttpApi } from './pubsub.http-api';
import { registerSecretsHttpApi } from './secrets.http-api';
import { registerStateHttpApi } from './state.http-api';

/** A further API (lock, configuration...) adds its routes with one of these. */
export type HttpApiRegistration = (router: HttpRouter, ctx: SidecarContext) => void;

/** The APIs every sidecar serves; `extraApis` of the server options add more. */
export const BUILT_IN_HTTP_APIS: HttpApiRegistration[] = [
  registerStateHttpApi,
  registerPubSubHttpApi,
  registerInvokeHttpApi,
  registerBindingsHttpApi,
  registerSecretsHttpApi,
  registerLockHttpApi,
  registerMetadataHttpApi,
  registerConfigurationHttpApi,
];

/** Health checks answer without the API token, as in daprd. */
const TOKEN_EXEMPT = new Set(['/v1.0/healthz', '/v1.0/healthz/outbound']);

/**
 * Dapr's HTTP API on a plain node:http server: `dapr-api-token` checked when
 * DAPR_API_TOKEN is set, `dapr-app-id` (or Basic) turning any request into an
 * invocation, routes dispatched to the APIs, errors written as Dapr's
 * `{"errorCode","message"}`. Requests carrying a W3C `traceparent` run in
 * that trace context, so publishes and calls continue the caller's trace.
 */
export class HttpApiServer {
  private readonly logger = new Logger('DaprSidecar');
  private readonly router = new HttpRouter();
  private server?: Server;
  private readonly token?: CallerIdentity;

  constructor(
    private readonly ctx: SidecarContext,
    extraApis: HttpApiRegistration[] = [],
  ) {
    for (const register of [...BUILT_IN_HTTP_APIS, ...extraApis]) register(this.router, ctx);
    if (ctx.options.apiToken) this.token = new CallerIdentity(ctx.options.apiToken);
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const x = new HttpExchange(req, res, path, q < 0 ? '' : url.slice(q + 1), this.ctx.options.maxBodySize);
    if (this.token && !(req.method === 'GET' && TOKEN_EXEMPT.has(path))) {
      const presented = req.headers['dapr-api-token'];
      if (!this.token.tokenMatches(Array.isArray(presented) ? presented[0] : presented)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('invalid api token');
        return;
      }
    }
    const run = () => this.dispatch(x);
    const traced = req.headers.traceparent !== undefined;
    const done = traced ? context.with(extractTraceContext(req.headers as Record<string, string>, ROOT_CONTEXT), run) : run();
    done.catch((err: unknown) => {
      if (err instanceof ApiError) return x.fail(err);
      this.logger.error(`${req.method} ${path}: ${(err as Error)?.stack ?? String(err)}`);
      x.fail(new ApiError(500, 'ERR_INTERNAL', (err as Error)?.message ?? String(err)));
    });
  }

  private async dispatch(x: HttpExchange): Promise<void> {
    const appId = x.req.headers['dapr-app-id'] !== undefined || x.req.headers.authorization !== undefined ? appIdFromHeaders(x.req.headers) : undefined;
    if (appId !== undefined && !x.path.startsWith('/v1.0/invoke/')) return invokeByHeader(this.ctx, x, appId);
    const match = this.router.match(x);
    if (!match) {
      x.send(404, '404 page not found\n', 'text/plain; charset=utf-8');
      return;
    }
    if (match.allowed) {
      x.res.setHeader('allow', [...new Set(match.allowed)].join(', '));
      x.empty(405);
      return;
    }
    await match.handler(x);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeIdleConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
