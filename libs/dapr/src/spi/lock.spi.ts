import type { Component } from './component.spi';

/** Dapr's `UnlockResponse.Status` names (numbers 0..3 on the wire, in this order). */
export type UnlockStatus = 'SUCCESS' | 'LOCK_DOES_NOT_EXIST' | 'LOCK_BELONGS_TO_OTHERS' | 'INTERNAL_ERROR';

/** The statuses in Dapr's enum order: the index is the wire number (`{"status":1}`). */
export const UNLOCK_STATUSES: readonly UnlockStatus[] = ['SUCCESS', 'LOCK_DOES_NOT_EXIST', 'LOCK_BELONGS_TO_OTHERS', 'INTERNAL_ERROR'];

export interface TryLockRequest {
  /** Storage key: the block has already applied Dapr's `lock||<prefix>||` scheme. */
  resourceId: string;
  lockOwner: string;
  /** Positive whole seconds; the block has validated it. */
  expiryInSeconds: number;
  metadata: Record<string, string>;
}

export interface UnlockRequest {
  /** Storage key, prefixed as for `tryLock`. */
  resourceId: string;
  lockOwner: string;
  metadata: Record<string, string>;
}

/**
 * A lock store (components-contrib `lock.Store`): a non-blocking try-lock with
 * an expiry and an owner-checked unlock. A driver answers the lock's state in
 * its result and rejects only when the backend failed.
 */
export interface LockStoreDriver extends Component {
  /** Takes the lock if nobody holds it (or the holder's lock expired); never waits. */
  tryLock(req: TryLockRequest): Promise<{ success: boolean }>;
  /** Releases the lock only when `lockOwner` holds it. */
  unlock(req: UnlockRequest): Promise<{ status: UnlockStatus }>;
}
