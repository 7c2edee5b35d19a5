import { DaprError } from '../../errors/dapr.error';

/**
 * An answer of the Dapr API that is an error: an HTTP status and Dapr's body
 * `{"errorCode":"ERR_…","message":"…"}`. Thrown by handlers, written by the server.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Extra fields of the body (bulk publish adds `failedEntries`). */
    readonly extra?: Record<string, unknown>,
    /** Response headers to set along with the error (e.g. `metadata.*`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({ ...this.extra, errorCode: this.errorCode, message: this.message });
  }
}

/** Which HTTP status each library error code means on this API (Dapr's tables). */
export type StatusTable = Record<string, number>;

/**
 * Turns whatever a block threw into the API's answer: the block's `errorCode`
 * (they are Dapr's own codes) with the status this API gives it, else the
 * fallback code with 500. The message is the block's, which names the
 * component and the cause.
 */
export function apiErrorOf(err: unknown, table: StatusTable, fallbackCode: string, fallbackStatus = 500): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DaprError) {
    const status = table[err.errorCode];
    if (status !== undefined) return new ApiError(status, err.errorCode, err.message);
    return new ApiError(fallbackStatus, fallbackCode, err.message);
  }
  return new ApiError(fallbackStatus, fallbackCode, (err as Error)?.message ?? String(err));
}

export const malformed = (message: string): ApiError => new ApiError(400, 'ERR_MALFORMED_REQUEST', message);
