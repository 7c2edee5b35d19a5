import { DaprError } from './dapr.error';

/**
 * The invoked app answered with a non-2xx status (or a 2xx whose body does not
 * match its JSON content type). `body` is parsed by content type when possible
 * and is the raw text otherwise.
 */
export class InvocationError extends DaprError {
  constructor(
    readonly appId: string,
    readonly method: string,
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string | string[] | undefined>,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? `invoke ${appId}/${method} failed with HTTP ${status}`, 'ERR_DIRECT_INVOKE', options);
  }
}

/** The request never got an HTTP answer: connection refused, reset, DNS failure, aborted or timed out. */
export class InvocationTransportError extends DaprError {
  constructor(
    readonly appId: string,
    readonly method: string,
    readonly address: string,
    /** Node/undici error code, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`, `ETIMEDOUT`. */
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`invoke ${appId}/${method} at ${address}: ${message}`, 'ERR_DIRECT_INVOKE', options);
  }
}

/** No live instance of the app id is known to the name resolver. */
export class AppNotFoundError extends DaprError {
  /** An unknown id stays unknown for the milliseconds a retry would wait; unlimited retries would spin. */
  readonly nonRetriable = true;
  constructor(
    readonly appId: string,
    readonly resolver: string,
    detail?: string,
  ) {
    super(
      `app id "${appId}" could not be resolved by nameresolution.${resolver}${detail ? `: ${detail}` : ''}`,
      'ERR_DIRECT_INVOKE',
    );
  }
}

/**
 * The answer was larger than `limits.maxBodySize` (default 4Mi, Dapr's
 * `--max-body-size`): reading stopped there and the connection was closed.
 * Never retried — the same call would get the same answer.
 */
export class InvocationResponseTooLargeError extends InvocationTransportError {
  readonly nonRetriable = true;

  constructor(
    appId: string,
    method: string,
    address: string,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(appId, method, address, 'ERR_RESPONSE_TOO_LARGE', `the answer is larger than ${limit} bytes (limits.maxBodySize)`, options);
  }
}
