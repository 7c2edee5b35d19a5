/**
 * The contract between the resiliency block and the blocks it wraps (state,
 * pubsub, bindings, invocation). A policy runs an operation under the timeout,
 * retry and circuit breaker that Dapr's Resiliency spec assigns to a target.
 */
export type PolicyTarget =
  | { kind: 'app'; appId: string }
  | { kind: 'component'; name: string; direction: 'inbound' | 'outbound' };

export interface ResiliencyPolicy {
  /**
   * Runs `fn` under the policy. `fn` receives an AbortSignal that fires when the
   * policy's timeout elapses. Rejects with the last error when retries run out,
   * or with a typed error when the circuit breaker is open.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** Errors a policy must never retry (e.g. ETag mismatches) carry this flag. */
export function isNonRetriable(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { nonRetriable?: boolean }).nonRetriable === true;
}

/**
 * A signal that never aborts. Policies hand it to operations when nothing can
 * cancel them, so callers can skip wiring abort listeners (e.g. into undici).
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
