import { lockApiError, lockRequestFromJson, unlockStatusNumber } from '../api/lock-requests';
import type { SidecarContext } from '../sidecar-context';
import type { HttpRouter } from './http-router';

/**
 * Distributed lock (alpha): `POST /v1.0-alpha1/lock/<store>` with
 * `{resourceId, lockOwner, expiryInSeconds}` answers `{"success":true|false}`;
 * `POST /v1.0-alpha1/unlock/<store>` with `{resourceId, lockOwner}` answers
 * `{"status":N}`, the enum as a number (0 SUCCESS … 3 INTERNAL_ERROR), as daprd does.
 */
export function registerLockHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  router.add('POST', '/v1.0-alpha1/lock/:store', async (x) => {
    const req = lockRequestFromJson(await x.json());
    let res;
    try {
      res = await ctx.lock.lock(x.params.store, req.resourceId, req.lockOwner, req.expiryInSeconds);
    } catch (err) {
      throw lockApiError(err, 'lock');
    }
    x.sendJson(200, { success: res.success });
  });
  router.add('POST', '/v1.0-alpha1/unlock/:store', async (x) => {
    const req = lockRequestFromJson(await x.json());
    let res;
    try {
      res = await ctx.lock.unlock(x.params.store, req.resourceId, req.lockOwner);
    } catch (err) {
      throw lockApiError(err, 'unlock');
    }
    x.sendJson(200, { status: unlockStatusNumber(res.status) });
  });
}
