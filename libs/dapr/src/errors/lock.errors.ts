import { DaprError } from './dapr.error';

/** The app has no lock store component at all (daprd: 500 `ERR_LOCK_STORE_NOT_CONFIGURED`). */
export class LockStoreNotConfiguredError extends DaprError {
  constructor() {
    super('lock store is not configured', 'ERR_LOCK_STORE_NOT_CONFIGURED');
  }
}

/** No lock store of that name; lists the known ones (daprd: 400 `ERR_LOCK_STORE_NOT_FOUND`). */
export class LockStoreNotFoundError extends DaprError {
  constructor(
    readonly store: string,
    readonly known: string[],
  ) {
    super(`lock store ${store} not found; known lock stores: ${known.length ? known.join(', ') : '(none)'}`, 'ERR_LOCK_STORE_NOT_FOUND');
  }
}

/**
 * A lock request Dapr refuses before reaching the store: empty resourceId or
 * lockOwner, expiryInSeconds not a positive 32-bit integer (daprd: 400
 * `ERR_MALFORMED_REQUEST`). Never retried.
 */
export class LockRequestError extends DaprError {
  readonly nonRetriable = true;
  constructor(
    readonly store: string,
    reason: string,
  ) {
    super(`${reason} in lock store ${store}`, 'ERR_MALFORMED_REQUEST');
  }
}

/**
 * The store failed a lock or unlock, or the resource id cannot be a lock key
 * (it contains `||`). `errorCode` is daprd's: `ERR_TRY_LOCK` or `ERR_UNLOCK`
 * (500); the driver's error is the cause.
 */
export class LockOperationError extends DaprError {
  constructor(
    readonly store: string,
    readonly operation: 'lock' | 'unlock',
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      operation === 'lock' ? `failed to try acquiring lock: ${reason}` : `failed to release lock: ${reason}`,
      operation === 'lock' ? 'ERR_TRY_LOCK' : 'ERR_UNLOCK',
      options,
    );
  }
}
