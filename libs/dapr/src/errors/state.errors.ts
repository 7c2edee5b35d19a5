import { DaprError } from './dapr.error';

/** The state operation an error came from; picks Dapr's `ERR_STATE_*` code. */
export type StateOperationKind = 'get' | 'bulkGet' | 'save' | 'delete' | 'transaction' | 'query';

const OPERATION_CODES: Record<StateOperationKind, string> = {
  get: 'ERR_STATE_GET',
  bulkGet: 'ERR_STATE_BULK_GET',
  save: 'ERR_STATE_SAVE',
  delete: 'ERR_STATE_DELETE',
  transaction: 'ERR_STATE_TRANSACTION',
  query: 'ERR_STATE_QUERY',
};

export function stateErrorCode(operation: StateOperationKind): string {
  return OPERATION_CODES[operation];
}

/** A state store name that is not configured; the message lists the known stores. */
export class StateStoreNotFoundError extends DaprError {
  readonly nonRetriable = true;

  constructor(
    readonly store: string,
    readonly known: string[],
  ) {
    super(
      known.length
        ? `state store "${store}" is not found; known state stores: ${known.join(', ')}`
        : `state store "${store}" is not found: no state stores are configured`,
      known.length ? 'ERR_STATE_STORE_NOT_FOUND' : 'ERR_STATE_STORE_NOT_CONFIGURED',
    );
  }
}

/**
 * The ETag did not match the stored item (or the key is missing / expired, or a
 * `first-write` save found an existing item). Never retried: only a fresh read
 * can produce a matching ETag.
 */
export class ETagMismatchError extends DaprError {
  readonly nonRetriable = true;
  readonly kind = 'mismatch' as const;

  constructor(
    readonly key?: string,
    readonly detail = 'etag mismatch',
    operation: StateOperationKind = 'save',
    options?: { cause?: unknown },
  ) {
    super(
      `possible etag mismatch. error from state store: ${detail}${key !== undefined ? ` (key "${key}")` : ''}`,
      stateErrorCode(operation),
      options,
    );
  }
}

/** The ETag has the wrong shape for this store (e.g. not an integer for Redis). */
export class ETagInvalidError extends DaprError {
  readonly nonRetriable = true;
  readonly kind = 'invalid' as const;

  constructor(
    readonly key?: string,
    readonly detail = 'the etag has the wrong format for this state store',
    operation: StateOperationKind = 'save',
    options?: { cause?: unknown },
  ) {
    super(
      `invalid etag value: ${detail}${key !== undefined ? ` (key "${key}")` : ''}`,
      stateErrorCode(operation),
      options,
    );
  }
}

export type ETagError = ETagMismatchError | ETagInvalidError;

export function isETagError(err: unknown): err is ETagError {
  return err instanceof ETagMismatchError || err instanceof ETagInvalidError;
}

/** The same ETag error reported for another operation (and key), keeping the original as cause. */
export function etagErrorFor(err: ETagError, operation: StateOperationKind, key?: string): ETagError {
  if (err.errorCode === stateErrorCode(operation) && (key === undefined || err.key === key)) return err;
  const Ctor = err instanceof ETagInvalidError ? ETagInvalidError : ETagMismatchError;
  return new Ctor(key ?? err.key, err.detail, operation, { cause: err });
}

/** The store lacks a feature the call needs (query, transactions...). */
export class StateStoreFeatureNotSupportedError extends DaprError {
  readonly nonRetriable = true;

  constructor(
    readonly store: string,
    readonly feature: string,
  ) {
    super(`state store "${store}" does not support ${feature}`, 'ERR_STATE_STORE_NOT_SUPPORTED');
  }
}

/** A key that is empty or contains `||`, the separator of Dapr's key scheme. */
export class StateKeyInvalidError extends DaprError {
  readonly nonRetriable = true;

  constructor(
    readonly key: string,
    reason = 'input key/keyPrefix cannot contain "||"',
  ) {
    super(`${reason}: "${key}"`, 'ERR_MALFORMED_REQUEST');
  }
}

/** Bad request options or metadata: a non-numeric `ttlInSeconds`, an unknown concurrency mode... */
export class StateRequestInvalidError extends DaprError {
  readonly nonRetriable = true;

  constructor(message: string) {
    super(message, 'ERR_MALFORMED_REQUEST');
  }
}

/**
 * The store failed the call (connection lost, server error...). The driver's
 * own error is the `cause` and its message is part of this one.
 */
export class StateStoreError extends DaprError {
  constructor(
    readonly store: string,
    readonly operation: StateOperationKind,
    reason: string,
    options?: { cause?: unknown },
    /** Per-key failures of a bulk save/delete, when more than one item failed. */
    readonly failures?: { key: string; error: Error }[],
  ) {
    super(`state store "${store}": ${operation} failed: ${reason}`, stateErrorCode(operation), options);
  }
}
