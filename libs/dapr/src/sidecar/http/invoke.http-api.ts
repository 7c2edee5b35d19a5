import type { SidecarContext } from '../sidecar-context';
import { DirectInvokeError } from '../invocation/direct-messaging';
import { responseHeaders } from '../invocation/invoke-headers';
import { ApiError } from './api-error';
import type { HttpExchange } from './http-exchange';
import type { HttpRouter } from './http-router';

const VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'];

/**
 * Service invocation over the HTTP API: `/v1.0/invoke/<app-id>/method/<method...>`
 * with any verb, or any path with a `dapr-app-id` header (see
 * `invokeByHeader`). Query string, headers and body go to the target; its
 * status, headers and body come back as they are.
 */
export function registerInvokeHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  router.add(VERBS, '/v1.0/invoke/:appId/method/*method', (x) => {
    const q = x.rawQuery;
    return invoke(ctx, x, x.params.appId, x.rest, q);
  });
  router.add(VERBS, '/v1.0/invoke/:appId/method', () => {
    throw new ApiError(404, 'ERR_DIRECT_INVOKE', 'invoke: method is empty');
  });
}

/** A request that names its target app in `dapr-app-id` (or Basic auth): the whole path is the method. */
export function invokeByHeader(ctx: SidecarContext, x: HttpExchange, appId: string): Promise<void> {
  return invoke(ctx, x, appId, x.path.slice(1), x.rawQuery, true);
}

async function invoke(ctx: SidecarContext, x: HttpExchange, appId: string, method: string, query: string, byHeader = false): Promise<void> {
  if (!appId) throw new ApiError(404, 'ERR_DIRECT_INVOKE', 'failed getting app id either from the URL path or the header dapr-app-id');
  const body = await x.body();
  const headers = { ...x.req.headers };
  if (byHeader && typeof headers.authorization === 'string' && /^basic /i.test(headers.authorization) && !headers['dapr-app-id']) delete headers.authorization;
  let res;
  try {
    res = await ctx.invoker.invoke(appId, { verb: x.method, method, query, headers, body });
  } catch (err) {
    if (err instanceof DirectInvokeError) throw new ApiError(err.status, err.errorCode, err.message);
    throw new ApiError(500, 'ERR_DIRECT_INVOKE', (err as Error).message);
  }
  const out = x.res;
  const h = responseHeaders(res.headers);
  for (const k in h) out.setHeader(k, h[k]);
  out.setHeader('content-length', res.body.length);
  out.writeHead(res.status);
  out.end(res.body);
}
