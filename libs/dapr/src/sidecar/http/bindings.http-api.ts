import { BindingInvokeError } from '../../errors/bindings.errors';
import { bindingApiError } from '../api/bindings-secrets-errors';
import { encodeBindingResponse } from '../api/binding-response';
import type { SidecarContext } from '../sidecar-context';
import { malformed } from './api-error';
import { field, stringMap } from './go-json';
import type { HttpRouter } from './http-router';

/**
 * Output bindings: `POST /v1.0/bindings/<name>` with `{data, metadata, operation}`.
 * `data` reaches the component JSON-encoded (a string keeps its quotes), the
 * answer's data comes back as the body and its metadata as `metadata.*` headers.
 */
export function registerBindingsHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  router.add(['POST', 'PUT'], '/v1.0/bindings/:name', async (x) => {
    const body = await x.json();
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw malformed('failed deserializing HTTP body: expected {"data", "metadata", "operation"}');
    }
    const operation = field(body, 'operation');
    if (operation !== undefined && typeof operation !== 'string') throw malformed('operation must be a string');
    const metadata = { ...stringMap(body, 'metadata'), ...x.metadata() };
    let res;
    try {
      res = await ctx.bindings.invoke(x.params.name, (operation as string | undefined) ?? '', field(body, 'data'), metadata);
    } catch (err) {
      const apiErr = bindingApiError(err);
      if (err instanceof BindingInvokeError && err.metadata) {
        const headers: Record<string, string> = {};
        for (const k in err.metadata) headers[`metadata.${k}`] = err.metadata[k];
        x.send(apiErr.status, apiErr.body(), 'application/json', headers);
        return;
      }
      throw apiErr;
    }
    const headers: Record<string, string> = {};
    for (const k in res.metadata) headers[`metadata.${k}`] = res.metadata[k];
    const data = encodeBindingResponse(res.data);
    if (data === undefined) return x.send(204, undefined, undefined, headers);
    x.send(200, data, 'application/json', headers);
  });
}
