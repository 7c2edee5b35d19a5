import { ETagInvalidError, ETagMismatchError, StateRequestInvalidError, StateStoreFeatureNotSupportedError, type StateOperationKind } from '../../errors/state.errors';
import type { SidecarApiError } from '../../errors/sidecar.errors';

/**
 * daprd's state errors as the block's own classes, so that code catching
 * `ETagMismatchError` works the same in-process and in sidecar mode.
 */
export function stateErrorOf(err: SidecarApiError, op: StateOperationKind, store: string, key?: string): Error {
  if (err.status === 409) return new ETagMismatchError(key, err.message, op, { cause: err });
  if (err.status === 400 && /invalid etag/i.test(err.message)) return new ETagInvalidError(key, err.message, op, { cause: err });
  if (err.errorCode === 'ERR_STATE_STORE_NOT_SUPPORTED') return new StateStoreFeatureNotSupportedError(store, op === 'query' ? 'the query API' : 'transactions');
  if (err.errorCode === 'ERR_MALFORMED_REQUEST') return new StateRequestInvalidError(err.message);
  return err;
}
