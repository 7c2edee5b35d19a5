import { InvocationError } from '../errors/invocation.errors';
import type { InvokeHttpMethod, InvokeOptions } from '../invocation/invocation.interfaces';

/** One call a stubbed app receives. */
export interface StubRequest {
  appId: string;
  /** The method path as invoked, without the query string, e.g. `stock/sku-1`. */
  method: string;
  httpMethod: InvokeHttpMethod;
  /** `:name` parameters when the stub was a route map. */
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

export type StubHandler = (req: StubRequest) => unknown;

/**
 * A stubbed app: one function for every call, or a route map keyed
 * `'VERB path'` (`'POST checkout'`, `'GET stock/:sku'`). A call no route
 * matches answers 404 like an app without that route.
 */
export type AppStub = StubHandler | Record<string, StubHandler>;

/** Answer a stub can throw to fail the call with any status (InvocationError on the caller's side). */
export class StubResponse {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

export class AppStubs {
  private readonly stubs = new Map<string, AppStub>();
  readonly calls: StubRequest[] = [];

  set(appId: string, stub: AppStub): void {
    this.stubs.set(appId, stub);
  }

  has(appId: string): boolean {
    return this.stubs.has(appId);
  }

  clear(): void {
    this.stubs.clear();
    this.calls.length = 0;
  }

  async call(appId: string, method: string, options: InvokeOptions): Promise<unknown> {
    const stub = this.stubs.get(appId)!;
    const httpMethod = (options.httpMethod?.toUpperCase() ?? (options.body === undefined ? 'GET' : 'POST')) as InvokeHttpMethod;
    const [path] = method.replace(/^\/+/, '').split('?');
    const req: StubRequest = {
      appId,
      method: path,
      httpMethod,
      params: {},
      query: { ...(options.query ?? {}) },
      headers: { ...(options.headers ?? {}) },
      // Through JSON, as over the wire: the stub never shares objects with the caller.
      body: wire(options.body),
    };
    this.calls.push(req);
    let handler: StubHandler | undefined;
    if (typeof stub === 'function') handler = stub;
    else {
      for (const [key, h] of Object.entries(stub)) {
        const params = matchRoute(key, httpMethod, path);
        if (params) {
          req.params = params;
          handler = h;
          break;
        }
      }
    }
    if (!handler) throw new InvocationError(appId, method, 404, { message: `Cannot ${httpMethod} /${path}` }, {});
    try {
      return wire(await handler(req));
    } catch (err) {
      if (err instanceof StubResponse) throw new InvocationError(appId, method, err.status, wire(err.body), {});
      throw err;
    }
  }
}

function matchRoute(key: string, httpMethod: string, path: string): Record<string, string> | undefined {
  const [verb, pattern = ''] = key.includes(' ') ? key.split(/\s+/, 2) : ['*', key];
  if (verb !== '*' && verb.toUpperCase() !== httpMethod) return undefined;
  const want = pattern.replace(/^\/+/, '').split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

function wire(value: unknown): unknown {
  if (value === undefined || value instanceof Uint8Array || typeof value === 'string') return value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
