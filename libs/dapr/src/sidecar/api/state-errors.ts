import { ETagInvalidError, isETagError, StateStoreError, type StateOperationKind } from '../../errors/state.errors';
import { ApiError, apiErrorOf, type StatusTable } from '../http/api-error';

/** Statuses of the state API (`dapr:pkg/api/http/http.go`, `pkg/api/errors/state.go`). */
const STATE_STATUS: StatusTable = {
  ERR_STATE_STORE_NOT_FOUND: 400,
  ERR_STATE_STORE_NOT_CONFIGURED: 500,
  ERR_MALFORMED_REQUEST: 400,
  ERR_STATE_STORE_NOT_SUPPORTED: 500,
  ERR_NOT_SUPPORTED_STATE_OPERATION: 400,
  ERR_STATE_STORE_TOO_MANY_TRANSACTIONS: 400,
};

const FALLBACK: Record<StateOperationKind, string> = {
  get: 'ERR_STATE_GET',
  bulkGet: 'ERR_STATE_BULK_GET',
  save: 'ERR_STATE_SAVE',
  delete: 'ERR_STATE_DELETE',
  transaction: 'ERR_STATE_TRANSACTION',
  query: 'ERR_STATE_QUERY',
};

/**
 * Dapr's answer to a failed state call: ETag mismatch 409 and invalid ETag
 * 400 (save and delete; a bulk save only when every failed item is an ETag
 * failure), everything in a transaction 500, unknown stores 400.
 */
export function stateApiError(err: unknown, op: StateOperationKind): ApiError {
  if (err instanceof ApiError) return err;
  if (op !== 'transaction') {
    if (isETagError(err)) return new ApiError(err instanceof ETagInvalidError ? 400 : 409, FALLBACK[op], err.message);
    if (err instanceof StateStoreError && err.failures?.length) {
      const errors = err.failures.map((f) => f.error);
      if (errors.every(isETagError)) {
        const status = errors.some((e) => e instanceof ETagInvalidError) ? 400 : 409;
        return new ApiError(status, FALLBACK[op], err.message);
      }
    }
  }
  return apiErrorOf(err, STATE_STATUS, FALLBACK[op]);
}
