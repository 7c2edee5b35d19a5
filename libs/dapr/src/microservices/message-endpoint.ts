import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import { MicroserviceConfigError } from '../errors/microservices.errors';
import type { BoundHandler } from '../handlers/handler-binder';
import { installBodyDigestTap } from '../invocation/request-body-digest';
import { encodeBody, isJson } from '../invocation/invoke-body.codec';
import { DaprContext } from './dapr.context';
import type { MicroservicesHost } from './microservices-host';

/** A `@MessagePattern` handler bound through the handler binder, served at `path`. */
export interface MessageRoute {
  path: string;
  method: string;
  describe: string;
  invoke: BoundHandler;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The callee side of `@MessagePattern` over service invocation: `POST /<method>`
 * requests, admitted by the app's `InvocationAccessGuard` (caller proofs,
 * mTLS peers, `accessControl` — as for any invocation target), decoded by
 * content type, run through the handler binder, answered with the handler's
 * last value (JSON, text or bytes; nothing → 204) or its error.
 *
 * Where: in a hybrid app, on the app's own HTTP server (the address name
 * resolution registers), ahead of Express for exactly these paths; in an app
 * made with `createMicroservice` (no HTTP server), on a server of its own at
 * `appPort`.
 */
export class MessageEndpoint {
  private readonly routes = new Map<string, MessageRoute>();
  private own?: Server;
  private removeTap?: () => void;
  private restore?: () => void;
  private inflight = 0;
  private idle?: () => void;

  constructor(private readonly host: MicroservicesHost) {}

  async start(routes: MessageRoute[]): Promise<void> {
    for (const r of routes) {
      const other = this.routes.get(r.path);
      if (other) throw new MicroserviceConfigError(`${r.describe} and ${other.describe} both answer @MessagePattern method "${r.method}"`);
      this.routes.set(r.path, r);
    }
    if (this.routes.size === 0) return;
    const adapter = this.host.adapterHost?.httpAdapter;
    const server = adapter?.getHttpServer?.() as Server | undefined;
    if (server && typeof server.listeners === 'function') return this.front(server, adapter!.getInstance() as unknown);
    await this.listenOwn();
  }

  /** Hybrid app: this server's framework listener gets every request except the message paths. */
  private front(server: Server, framework: unknown): void {
    const postRoutes = this.host.explorer.postRoutes((verb) => verb === 1 /* RequestMethod.POST */);
    for (const r of this.routes.values()) {
      const route = postRoutes.get(r.path);
      if (route) throw new MicroserviceConfigError(`@MessagePattern method "${r.method}" of ${r.describe} collides with the route POST ${r.path} of ${route.describe}`);
    }
    const listeners = server.listeners('request') as Listener[];
    const app = listeners.find((l) => l === framework);
    if (!app) {
      throw new MicroserviceConfigError(
        'DaprTransport serves @MessagePattern on the app HTTP server only with @nestjs/platform-express; ' +
          'use createMicroservice with appPort for a separate endpoint',
      );
    }
    const front: Listener = (req, res) => {
      if (req.method === 'POST' && this.routes.has(pathOf(req.url))) void this.serve(req, res);
      else app(req, res);
    };
    server.removeListener('request', app);
    server.on('request', front);
    this.restore = () => {
      server.removeListener('request', front);
      server.on('request', app);
    };
  }

  private async listenOwn(): Promise<void> {
    const port = this.host.runtime.options.appPort;
    if (port === undefined) {
      throw new MicroserviceConfigError(
        `@MessagePattern handlers (${[...this.routes.values()].map((r) => r.describe).join(', ')}) are served over service invocation, ` +
          'but this app has no HTTP server: set appPort in DaprModule.forRoot (the port they are served on and registered at)',
      );
    }
    const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
      if (req.method === 'POST' && this.routes.has(pathOf(req.url))) void this.serve(req, res);
      else reply(res, 404, { errorCode: 'ERR_DIRECT_INVOKE', message: `no @MessagePattern answers ${req.method} ${pathOf(req.url)}` });
    });
    // Signed caller proofs cover the body bytes: hash them as they arrive, as on a Nest HTTP server.
    this.removeTap = installBodyDigestTap(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
    this.own = server;
    this.host.logger.log(`serving @MessagePattern methods ${[...this.routes.keys()].join(', ')} on port ${port}`);
  }

  /** Stops taking requests and waits (up to `timeoutMs`) for the ones in flight. */
  async close(timeoutMs: number): Promise<void> {
    this.restore?.();
    this.restore = undefined;
    this.removeTap?.();
    const own = this.own;
    this.own = undefined;
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (own) {
      own.closeIdleConnections?.();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inflight++;
    try {
      const route = this.routes.get(pathOf(req.url))!;
      try {
        await this.host.accessGuard.canActivate(httpContext(req, res));
      } catch (err) {
        return replyError(res, err, this.host);
      }
      let data: unknown;
      try {
        data = decode(req, await bodyOf(req, this.host.runtime.limits.maxBodyBytes));
      } catch (err) {
        return replyError(res, err, this.host);
      }
      let result: unknown;
      try {
        result = await route.invoke(data, new DaprContext([undefined, { method: route.method, headers: req.headers }]));
        // An exception filter (BaseRpcExceptionFilter) answers with an Observable that errors.
        if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
      } catch (err) {
        return replyError(res, err, this.host, route.describe);
      }
      if (result === undefined) {
        res.writeHead(204);
        res.end();
        return;
      }
      const body = encodeBody(result);
      res.writeHead(200, { 'content-type': body.contentType!, 'content-length': byteLength(body.payload) });
      res.end(body.payload);
    } catch (err) {
      replyError(res, err, this.host);
    } finally {
      if (--this.inflight === 0) this.idle?.();
    }
  }
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/** The ExecutionContext the access guard reads an HTTP request from. */
function httpContext(req: IncomingMessage, res: ServerResponse): ExecutionContext {
  const args = [req, res];
  return {
    getType: () => 'http',
    getArgs: () => args,
    getArgByIndex: (i: number) => args[i],
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => undefined }),
    switchToRpc: () => ({ getData: () => undefined, getContext: () => undefined }),
    switchToWs: () => ({ getData: () => undefined, getClient: () => undefined, getPattern: () => '' }),
    getClass: () => Object,
    getHandler: () => httpContext,
  } as unknown as ExecutionContext;
}

class TooLarge extends Error {
  readonly status = 413;
}

/** The body: already read by the guard's proof check (`req.body`), else read here up to the limit. */
async function bodyOf(req: IncomingMessage, limit: number): Promise<Buffer> {
  const read = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(read)) return read;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new TooLarge(`request body larger than limits.maxBodySize (${limit} bytes)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** JSON → value, text → string, other bytes → Buffer, nothing → undefined (as the caller's InvocationService encodes). */
function decode(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = req.headers['content-type'];
  if (isJson(type)) return JSON.parse(body.toString('utf8')) as unknown;
  if (type === undefined || /^text\//i.test(type)) return body.toString('utf8');
  return body;
}

/**
 * An error as Nest's RPC layer hands it to a client: an RpcException's error
 * (`{ status: 'error', message }` for a string), an HttpException's response
 * with its status (a ValidationPipe's 400, a guard's 403), a value an exception
 * filter emitted; anything else is logged and answered as Nest's unknown error.
 */
function replyError(res: ServerResponse, err: unknown, host: MicroservicesHost, describe?: string): void {
  const e = err as { getError?: () => unknown; getStatus?: () => number; getResponse?: () => unknown; status?: unknown; message?: string } | undefined;
  if (e && typeof e.getError === 'function') {
    const error = e.getError();
    const body = error !== null && typeof error === 'object' ? error : { status: 'error', message: error };
    return reply(res, statusIn(body) ?? 500, body);
  }
  if (e && typeof e.getStatus === 'function' && typeof e.getResponse === 'function') {
    const response = e.getResponse();
    return reply(res, e.getStatus(), response !== null && typeof response === 'object' ? response : { status: 'error', message: response });
  }
  if (err instanceof TooLarge) return reply(res, 413, { errorCode: 'ERR_MALFORMED_REQUEST', message: err.message });
  if (err instanceof SyntaxError) return reply(res, 400, { errorCode: 'ERR_MALFORMED_REQUEST', message: `the request body is not valid JSON: ${err.message}` });
  if (err !== null && typeof err === 'object' && !(err instanceof Error)) return reply(res, statusIn(err) ?? 500, err);
  host.logger.error(`${describe ?? '@MessagePattern'} failed: ${(err as Error)?.stack ?? String(err)}`);
  reply(res, 500, { status: 'error', message: 'Internal server error' });
}

function statusIn(body: object): number | undefined {
  const s = (body as { statusCode?: unknown; status?: unknown }).statusCode ?? (body as { status?: unknown }).status;
  return typeof s === 'number' && s >= 400 && s <= 599 ? s : undefined;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function byteLength(payload: string | Uint8Array | undefined): number {
  if (payload === undefined) return 0;
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}
