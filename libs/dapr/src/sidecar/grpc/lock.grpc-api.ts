import { lockApiError } from '../api/lock-requests';
import type { SidecarContext } from '../sidecar-context';
import type { GrpcHandler } from './dapr.grpc-api';

/** `TryLockAlpha1` / `UnlockAlpha1` of `dapr.proto.runtime.v1.Dapr` on the lock block. */
export function lockGrpcHandlers(ctx: SidecarContext): Record<string, GrpcHandler> {
  return {
    async TryLockAlpha1(req: { storeName: string; resourceId: string; lockOwner: string; expiryInSeconds: number }) {
      try {
        return { success: (await ctx.lock.lock(req.storeName, req.resourceId, req.lockOwner, req.expiryInSeconds)).success };
      } catch (err) {
        throw lockApiError(err, 'lock');
      }
    },
    async UnlockAlpha1(req: { storeName: string; resourceId: string; lockOwner: string }) {
      try {
        // proto-loader takes the enum by name.
        return { status: (await ctx.lock.unlock(req.storeName, req.resourceId, req.lockOwner)).status };
      } catch (err) {
        throw lockApiError(err, 'unlock');
      }
    },
  };
}
