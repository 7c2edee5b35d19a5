import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessControlPolicy, CallerInfo } from '../../invocation/access-control.policy';
import { bodyDigestOf, type SignedCall } from '../../invocation/call-proof';
import { CallerIdentity } from '../../invocation/caller-identity';
import { NonceCache } from '../../invocation/nonce-cache';
import { isMalformed, requestTargetOf } from '../../invocation/request-target';
import {
  API_TOKEN_HEADER,
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLER_SIGNATURE_HEADER,
} from '../../invocation/invocation.constants';
import { responseHeaders } from './invoke-headers';
import type { DirectMessaging } from './direct-messaging';

export interface InternalInvokeOptions {
  appId: string;
  host: string;
  port: number;
  maxBodySize: number;
  /** APP_API_TOKEN: callers that claim an app id must prove it with the token and a signature. */
  apiToken?: string;
  /** This app's namespace (proofs name the callee's). */
  namespace?: string;
  acl?: () => AccessControlPolicy | undefined;
  invoker: () => DirectMessaging | undefined;
}

/**
 * Where other apps' invocations of this app arrive (daprd's internal port,
 * registered in name resolution as this app's address). A caller that claims
 * an app id (`dapr-caller-app-id`) proves it as with an in-process callee
 * (shared token + signature) when a token is configured; Dapr's access
 * control policy (`--config`) decides; the call then goes to the app.
 */
export class InternalInvokeServer {
  private server?: Server;
  private readonly identity?: CallerIdentity;
  private readonly nonces = new NonceCache();

  constructor(private readonly options: InternalInvokeOptions) {
    if (options.apiToken) this.identity = new CallerIdentity(options.apiToken);
  }

  async listen(): Promise<number> {
    const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = req.url ?? '/';
      const target = requestTargetOf(url);
      if (isMalformed(target)) return reply(res, 400, 'ERR_MALFORMED_REQUEST', target.malformed);
      const body = await readAll(req, this.options.maxBodySize);
      if (body === undefined) return reply(res, 413, 'ERR_BODY_TOO_LARGE', 'request body too large');
      const caller = this.verify(req, url, body);
      if (caller === 'unauthenticated') return reply(res, 401, 'ERR_UNAUTHENTICATED', 'the caller did not present a valid, fresh signature made with the api token');
      const acl = this.options.acl?.();
      if (acl) {
        // Decided on the path as the app's router and as Dapr read it; either denied → denied (as the in-process guard).
        const method = req.method ?? 'GET';
        let decision = acl.decide(caller, method, target.routerPath);
        if (decision.action !== 'deny' && target.daprPath !== target.routerPath) decision = acl.decide(caller, method, target.daprPath);
        if (decision.action === 'deny') {
          return reply(res, 403, 'ERR_PERMISSION_DENIED', `access control policy (${decision.scope}) denies ${method} ${target.daprPath} to ${caller.appId ? `app "${caller.appId}"` : 'an unverified caller'}`);
        }
      }
      const invoker = this.options.invoker();
      if (!invoker) return reply(res, 500, 'ERR_DIRECT_INVOKE', 'sidecar is not ready');
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const headers = { ...req.headers };
      delete headers[API_TOKEN_HEADER];
      delete headers[CALLER_SIGNATURE_HEADER];
      const answer = await invoker.forwardToApp({ verb: req.method ?? 'GET', method: path.slice(1), query: q < 0 ? '' : url.slice(q + 1), headers, body });
      res.writeHead(answer.status, responseHeaders(answer.headers));
      res.end(answer.body);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      reply(res, status, 'ERR_DIRECT_INVOKE', (err as Error).message);
    }
  }

  private verify(req: IncomingMessage, url: string, body: Buffer): CallerInfo | 'unauthenticated' {
    const headers = req.headers;
    const claimed = first(headers[CALLER_APP_ID_HEADER]);
    if (claimed === undefined) return {};
    if (!this.identity) return { appId: claimed, namespace: first(headers[CALLER_NAMESPACE_HEADER]) };
    const callee = first(headers[CALLEE_APP_ID_HEADER]) ?? this.options.appId;
    const namespace = first(headers[CALLER_NAMESPACE_HEADER]) ?? '';
    if (callee !== this.options.appId) return 'unauthenticated';
    const call: SignedCall = { caller: claimed, namespace, callee, calleeNamespace: this.options.namespace ?? '', method: req.method ?? 'GET', path: url, bodyDigest: bodyDigestOf(body) };
    const now = Date.now();
    const proof = this.identity.verify(first(headers[CALLER_SIGNATURE_HEADER]), call, now);
    if (!proof || !this.nonces.add(proof.nonce, proof.t, now)) return 'unauthenticated';
    return { appId: claimed, namespace };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeIdleConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function reply(res: ServerResponse, status: number, errorCode: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errorCode, message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.once('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
