import { ConfigurationUnsubscribeError } from '../../errors/configuration.errors';
import { checkConfigurationStore, configurationApiError, postConfigurationUpdate, wireItems } from '../api/configuration-requests';
import type { SidecarContext } from '../sidecar-context';
import { ApiError } from './api-error';
import type { HttpExchange } from './http-exchange';
import type { HttpRouter } from './http-router';

/**
 * Configuration, on both of daprd's versions (`/v1.0` and `/v1.0-alpha1`):
 * `GET configuration/<store>?key=a&key=b` (every item without keys; 204 when
 * none), `GET configuration/<store>/subscribe?key=…` (updates are POSTed to
 * the app) and `GET configuration/<store>/<id>/unsubscribe`; `metadata.*`
 * query parameters reach the store.
 */
export function registerConfigurationHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  for (const version of ['v1.0', 'v1.0-alpha1']) {
    router.add('GET', `/${version}/configuration/:store`, (x) => get(ctx, x));
    router.add('GET', `/${version}/configuration/:store/subscribe`, (x) => subscribe(ctx, x));
    router.add('GET', `/${version}/configuration/:store/:id/unsubscribe`, (x) => unsubscribe(ctx, x));
  }
}

async function get(ctx: SidecarContext, x: HttpExchange): Promise<void> {
  const store = x.params.store;
  checkConfigurationStore(ctx, store);
  let res;
  try {
    res = await ctx.configuration.get(store, x.query.getAll('key'), x.metadata());
  } catch (err) {
    throw configurationApiError(err, 'ERR_CONFIGURATION_GET');
  }
  if (Object.keys(res.items).length === 0) return x.empty(204);
  x.sendJson(200, wireItems(res.items));
}

async function subscribe(ctx: SidecarContext, x: HttpExchange): Promise<void> {
  const store = x.params.store;
  checkConfigurationStore(ctx, store);
  const channel = ctx.appChannel?.();
  if (!channel) throw new ApiError(500, 'ERR_APP_CHANNEL_NIL', 'app channel is not initialized. cannot subscribe to configuration updates');
  let id = '';
  let sub;
  try {
    sub = await ctx.configuration.subscribe(store, x.query.getAll('key'), (items) => postConfigurationUpdate(channel, store, id, items), x.metadata());
  } catch (err) {
    throw configurationApiError(err, 'ERR_CONFIGURATION_SUBSCRIBE');
  }
  id = sub.id;
  x.sendJson(200, { id });
}

async function unsubscribe(ctx: SidecarContext, x: HttpExchange): Promise<void> {
  checkConfigurationStore(ctx, x.params.store);
  try {
    await ctx.configuration.unsubscribe(x.params.id);
  } catch (err) {
    const message = err instanceof ConfigurationUnsubscribeError ? err.message : `failed to unsubscribe to configuration request ${x.params.id}: ${(err as Error)?.message ?? String(err)}`;
    x.sendJson(500, { message });
    return;
  }
  x.sendJson(200, { ok: true });
}
