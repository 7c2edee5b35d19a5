import { Pool } from 'undici';
import type Dispatcher from 'undici/types/dispatcher';
import { AppNotFoundError } from '../../errors/invocation.errors';
import { CallerIdentity } from '../../invocation/caller-identity';
import { bodyDigestOf } from '../../invocation/call-proof';
import {
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLER_SIGNATURE_HEADER,
} from '../../invocation/invocation.constants';
import type { NameResolutionService } from '../../invocation/name-resolution.service';
import type { ResiliencyPolicy } from '../../resiliency/resiliency-policy';
import type { ResiliencyService } from '../../resiliency/resiliency.service';
import type { AppChannel, AppResponse, HeaderMap } from '../app-channel/app-channel';
import { forwardableHeaders } from './invoke-headers';

/** One invocation as the API received it. */
export interface InvokeCall {
  verb: string;
  /** The method path after `/method/`, as sent (not decoded). */
  method: string;
  /** Query string without `?`, forwarded verbatim. */
  query: string;
  headers: HeaderMap;
  body: Buffer;
}

/** Why an invocation could not reach its target (Dapr's ERR_DIRECT_INVOKE, with the status daprd gives it). */
export class DirectInvokeError extends Error {
  readonly errorCode = 'ERR_DIRECT_INVOKE';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A non-2xx answer inside the retry policy: retried like daprd's CodeError, returned as is when retries run out. */
class StatusResponse extends Error {
  constructor(readonly response: AppResponse) {
    super(`app answered ${response.status}`);
  }
  get status(): number {
    return this.response.status;
  }
}

export interface DirectMessagingDeps {
  appId: string;
  namespace?: string;
  /** APP_API_TOKEN: signs this app's identity to the callee (as InvocationService does). */
  apiToken?: string;
  names: NameResolutionService;
  resiliency?: ResiliencyService;
  /** The local app, when it has a port. */
  channel?: () => AppChannel | undefined;
}

/**
 * Service invocation from the sidecar's point of view: a call for this app
 * goes over the app channel; a call for another app goes, through name
 * resolution, to the address that app registered (another `nest-dapr run`'s
 * internal port, or a Nest app running DaprModule in-process) with Dapr's
 * caller headers. Status, headers and body come back untouched; the target
 * app's resiliency policy retries answers outside 200-399 as daprd does.
 */
export class DirectMessaging {
  private readonly pools = new Map<string, Pool>();
  private readonly identity?: CallerIdentity;
  private readonly policies = new Map<string, ResiliencyPolicy | null>();

  constructor(private readonly deps: DirectMessagingDeps) {
    if (deps.apiToken) this.identity = new CallerIdentity(deps.apiToken);
  }

  isLocal(appId: string): boolean {
    if (appId === this.deps.appId) return true;
    const ns = this.deps.namespace;
    return !!ns && appId === `${this.deps.appId}.${ns}`;
  }

  async invoke(appId: string, call: InvokeCall): Promise<AppResponse> {
    const policy = this.policyFor(appId);
    const attempt = () => (this.isLocal(appId) ? this.local(call) : this.remote(appId, call));
    if (!policy) return attempt();
    try {
      return await policy.execute(async () => {
        const res = await attempt();
        if (res.status < 200 || res.status > 399) throw new StatusResponse(res);
        return res;
      });
    } catch (err) {
      if (err instanceof StatusResponse) return err.response;
      throw err;
    }
  }

  /** A call that arrived for this app from another app (internal port), passed to the app as is. */
  forwardToApp(call: InvokeCall): Promise<AppResponse> {
    return this.toChannel(call, call.headers);
  }

  private local(call: InvokeCall): Promise<AppResponse> {
    const headers = forwardableHeaders(call.headers);
    headers[CALLER_APP_ID_HEADER] = this.deps.appId;
    headers[CALLEE_APP_ID_HEADER] = this.deps.appId;
    return this.toChannel(call, headers);
  }

  private toChannel(call: InvokeCall, headers: HeaderMap): Promise<AppResponse> {
    const channel = this.deps.channel?.();
    if (!channel) {
      return Promise.reject(new DirectInvokeError(500, `failed to invoke, id: ${this.deps.appId}, err: app channel not initialized (no --app-port)`));
    }
    return channel.invoke({ verb: call.verb, path: pathOf(call), headers, body: call.body }).catch((err: Error) => {
      throw new DirectInvokeError(500, `failed to invoke, id: ${this.deps.appId}, err: ${err.message}`, { cause: err });
    });
  }

  private async remote(appId: string, call: InvokeCall): Promise<AppResponse> {
    let origin: string;
    try {
      const found = this.deps.names.lookup(appId);
      origin = typeof found === 'string' ? found : await found;
    } catch (err) {
      const status = err instanceof AppNotFoundError ? 500 : 500;
      throw new DirectInvokeError(status, `failed to invoke, id: ${appId}, err: ${(err as Error).message}`, { cause: err });
    }
    const dot = appId.indexOf('.');
    const callee = dot < 0 ? appId : appId.slice(0, dot);
    const path = pathOf(call);
    const headers = forwardableHeaders(call.headers);
    headers[CALLER_APP_ID_HEADER] = this.deps.appId;
    headers[CALLEE_APP_ID_HEADER] = callee;
    const namespace = this.deps.namespace ?? '';
    if (namespace) headers[CALLER_NAMESPACE_HEADER] = namespace;
    if (this.identity) {
      // The token never travels: a fresh proof (own nonce) over this call, as an in-process caller sends.
      headers[CALLER_SIGNATURE_HEADER] = this.identity.sign({
        caller: this.deps.appId,
        namespace,
        callee,
        calleeNamespace: dot < 0 ? namespace : appId.slice(dot + 1),
        method: call.verb,
        path,
        bodyDigest: bodyDigestOf(call.body),
      });
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool(origin).request({
        method: call.verb as Dispatcher.HttpMethod,
        path,
        headers,
        body: call.body.length ? call.body : undefined,
      });
    } catch (err) {
      throw new DirectInvokeError(500, `failed to invoke, id: ${appId}, err: ${(err as Error).message}`, { cause: err });
    }
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers as HeaderMap, body };
  }

  private policyFor(appId: string): ResiliencyPolicy | null {
    let p = this.policies.get(appId);
    if (p === undefined) {
      p = this.deps.resiliency?.policyFor({ kind: 'app', appId }) ?? null;
      this.policies.set(appId, p);
    }
    return p;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { keepAliveTimeout: 10_000, connect: { timeout: 5_000 } });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

function pathOf(call: InvokeCall): string {
  const method = call.method.charCodeAt(0) === 47 ? call.method : `/${call.method}`;
  return call.query ? `${method}?${call.query}` : method;
}
