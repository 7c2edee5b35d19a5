export type InvokeHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Options of `InvocationService.invoke`. */
export interface InvokeOptions {
  /** Default: POST when there is a body, GET without. */
  httpMethod?: InvokeHttpMethod;
  /** Objects/arrays/numbers/booleans go as JSON, strings as text/plain, Buffer/Uint8Array as bytes. */
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** Bound on the whole call, retries included. */
  timeoutMs?: number;
}
