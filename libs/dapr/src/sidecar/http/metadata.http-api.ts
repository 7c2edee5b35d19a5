import type { SidecarContext } from '../sidecar-context';
import { ApiError } from './api-error';
import type { HttpRouter } from './http-router';

/**
 * Metadata, health and shutdown: `GET /v1.0/metadata`, `PUT /v1.0/metadata/<key>`
 * (extended attributes), `GET /v1.0/healthz` (204 once components are up and the
 * app channel is ready), `GET /v1.0/healthz/outbound` (components only) and
 * `POST /v1.0/shutdown`.
 */
export function registerMetadataHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  router.add('GET', '/v1.0/metadata', (x) => x.sendJson(200, ctx.metadata.toJSON()));
  router.add('PUT', '/v1.0/metadata/:key', async (x) => {
    const body = await x.body();
    ctx.metadata.extended.set(x.params.key, body.toString('utf8'));
    x.empty(204);
  });

  router.add('GET', '/v1.0/healthz', (x) => {
    const appid = x.rawQuery ? x.query.get('appid') : null;
    if (appid && appid !== ctx.options.appId) {
      throw new ApiError(500, 'ERR_HEALTH_APPID_NOT_MATCH', 'dapr app-id does not match');
    }
    if (!ctx.readiness.ready) throw new ApiError(500, 'ERR_HEALTH_NOT_READY', 'dapr is not ready');
    x.empty(204);
  });
  router.add('GET', '/v1.0/healthz/outbound', (x) => {
    if (!ctx.readiness.outbound) throw new ApiError(500, 'ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready');
    x.empty(204);
  });

  router.add('POST', '/v1.0/shutdown', (x) => {
    x.empty(204);
    ctx.requestShutdown();
  });
}
