import {
  BrokenCircuitError,
  circuitBreaker,
  ConstantBackoff,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type GeneratorFn,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { CircuitBreakerOpenError, ResiliencyTimeoutError } from '../errors/resiliency.errors';
import { isNonRetriable, NEVER_ABORTED, type ResiliencyPolicy } from './resiliency-policy';
import type { CircuitBreakerSpec, RetrySpec, TimeoutSpec } from './resiliency-spec';
import { TripBreaker } from './trip-breaker';

/** dapr/kit exponential back-off: starts at 500 ms, ×1.5 per retry, ±50 % jitter, capped at maxInterval. */
const EXP_INITIAL_MS = 500;
const EXP_MULTIPLIER = 1.5;

const daprJitter: GeneratorFn<number> = (attempt, opts) => {
  const n = attempt ?? 0;
  const base = Math.min(opts.maxDelay, opts.initialDelay * opts.exponent ** n);
  return [Math.min(opts.maxDelay, base * (0.5 + Math.random())), n + 1];
};

/** What a retry predicate can read off an error: an HTTP status or a gRPC code. */
function httpStatusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

function grpcCodeOf(err: unknown): number | undefined {
  const c = (err as { grpcCode?: unknown } | null)?.grpcCode;
  return typeof c === 'number' ? c : undefined;
}

export function retryMatches(spec: RetrySpec, err: unknown): boolean {
  if (isNonRetriable(err)) return false;
  const status = httpStatusOf(err);
  if (status !== undefined) return spec.httpStatusCodes ? spec.httpStatusCodes.matches(status) : true;
  const code = grpcCodeOf(err);
  if (code !== undefined) return spec.grpcStatusCodes ? spec.grpcStatusCodes.matches(code) : true;
  return true;
}

export interface PolicyParts {
  /** Human-readable target, e.g. `app checkout` or `component statestore (outbound)`. */
  target: string;
  timeout?: TimeoutSpec;
  retry?: RetrySpec;
  circuitBreaker?: CircuitBreakerSpec;
}

/**
 * One target's policy: retry (outermost) → circuit breaker → timeout → call,
 * the order Dapr's policy runner uses, so every attempt gets the full timeout
 * and counts towards the breaker. The breaker instance lives as long as the
 * runner, so its state is shared by every call to the target.
 */
export class PolicyRunner implements ResiliencyPolicy {
  readonly retryPolicy?: RetryPolicy;
  readonly breakerPolicy?: CircuitBreakerPolicy;
  readonly breaker?: TripBreaker;
  private readonly timeoutPolicy?: TimeoutPolicy;

  constructor(readonly parts: PolicyParts) {
    const { timeout: t, retry: r, circuitBreaker: cb } = parts;
    if (t) this.timeoutPolicy = timeout(t.ms, TimeoutStrategy.Aggressive);
    if (cb) {
      this.breaker = new TripBreaker(cb);
      this.breakerPolicy = circuitBreaker(
        handleWhen((err) => !isNonRetriable(err)),
        { halfOpenAfter: cb.timeoutMs, breaker: this.breaker },
      );
    }
    if (r && r.maxRetries !== 0) {
      this.retryPolicy = retry(handleWhen((err) => retryMatches(r, err)), {
        maxAttempts: r.maxRetries < 0 ? Infinity : r.maxRetries,
        backoff:
          r.policy === 'exponential'
            ? new ExponentialBackoff({ initialDelay: EXP_INITIAL_MS, exponent: EXP_MULTIPLIER, maxDelay: r.maxIntervalMs, generator: daprJitter })
            : new ConstantBackoff(r.durationMs),
      });
    }
  }

  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.retryPolicy) return this.retryPolicy.execute(({ signal }) => this.attempt(fn, signal), NEVER_ABORTED);
    return this.attempt(fn, NEVER_ABORTED);
  }

  private attempt<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (!this.breakerPolicy) return this.timed(fn, signal);
    return this.breakerPolicy.execute(({ signal: s }) => this.timed(fn, s), signal).catch((err: unknown) => {
      if (err instanceof BrokenCircuitError) {
        throw new CircuitBreakerOpenError(this.parts.circuitBreaker!.name, this.parts.target, { cause: err });
      }
      throw err;
    });
  }

  private timed<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (!this.timeoutPolicy) return fn(signal);
    return this.timeoutPolicy.execute(({ signal: s }) => fn(s), signal).catch((err: unknown) => {
      if (err instanceof TaskCancelledError && !signal.aborted) {
        const t = this.parts.timeout!;
        throw new ResiliencyTimeoutError(t.name, this.parts.target, t.ms, { cause: err });
      }
      throw err;
    });
  }
}
