import type { LockResponse, UnlockResponse } from '../../lock/lock.service';
import { UNLOCK_STATUSES } from '../../spi/lock.spi';
import { seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/** `LockService` in sidecar mode: daprd's lock API (alpha); its errors come back with daprd's codes. */
export class RemoteLockService {
  constructor(private readonly client: SidecarClient) {}

  async lock(store: string, resourceId: string, lockOwner: string, expiryInSeconds: number): Promise<LockResponse> {
    const res = await this.client.call({
      method: 'POST',
      path: `/v1.0-alpha1/lock/${seg(store)}`,
      body: JSON.stringify({ resourceId, lockOwner, expiryInSeconds }),
      contentType: 'application/json',
    });
    return { success: (JSON.parse(res.body.toString('utf8') || '{}') as { success?: boolean }).success === true };
  }

  async unlock(store: string, resourceId: string, lockOwner: string): Promise<UnlockResponse> {
    const res = await this.client.call({
      method: 'POST',
      path: `/v1.0-alpha1/unlock/${seg(store)}`,
      body: JSON.stringify({ resourceId, lockOwner }),
      contentType: 'application/json',
    });
    // daprd answers the enum as a number (`{"status":1}`); an omitted status is 0, SUCCESS.
    const status = (JSON.parse(res.body.toString('utf8') || '{}') as { status?: number }).status ?? 0;
    return { status: UNLOCK_STATUSES[status] ?? 'INTERNAL_ERROR' };
  }
}
