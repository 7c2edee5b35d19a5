import { secretApiError } from '../api/bindings-secrets-errors';
import type { SidecarContext } from '../sidecar-context';
import { ApiError } from './api-error';
import type { HttpRouter } from './http-router';

/** Secrets: `GET /v1.0/secrets/<store>/<key>` and `/bulk`, `metadata.*` passed to the store. */
export function registerSecretsHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  const noStores = () => {
    if (ctx.runtime.names('secretstores').length === 0) {
      throw new ApiError(500, 'ERR_SECRET_STORES_NOT_CONFIGURED', 'secret store is not configured');
    }
  };
  router.add('GET', '/v1.0/secrets/:store/bulk', async (x) => {
    noStores();
    let all;
    try {
      all = await ctx.secrets.getBulk(x.params.store, x.metadata());
    } catch (err) {
      throw secretApiError(err);
    }
    x.sendJson(200, all);
  });
  router.add('GET', '/v1.0/secrets/:store/:key', async (x) => {
    noStores();
    let secret;
    try {
      secret = await ctx.secrets.get(x.params.store, x.params.key, x.metadata());
    } catch (err) {
      throw secretApiError(err);
    }
    x.sendJson(200, secret);
  });
}
