import {
  BrokenCircuitError,
  circuitBreaker,
  ConstantBackoff,
  DelegateBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { CircuitBreakerOpenError, ResiliencyTimeoutError } from '../errors/resiliency.errors';
import { isNonRetriable, NEVER_ABORTED, type ResiliencyPolicy } from './resiliency-policy';
import type { CircuitBreakerSpec, RetrySpec, TimeoutSpec } from './resiliency-spec';
import { TripBreaker } from './trip-breaker';

/**
 * The exponential back-off of one call, as dapr/kit runs cenkalti/backoff's
 * `ExponentialBackOff`: the clock starts with the call; each failure draws the
 * next delay uniformly from interval × (1 ± randomizationFactor), then the
 * interval grows by the multiplier up to maxInterval; once the elapsed time
 * plus the next delay would pass maxElapsedTime (15 min by default) it stops.
 */
class ExponentialClock {
  private readonly start = Date.now();
  private interval: number;

  constructor(private readonly spec: RetrySpec) {
    this.interval = spec.initialIntervalMs;
  }

  /** Records the next delay for this failure, or marks it final when the time budget is spent. */
  failed(err: unknown): void {
    const { randomizationFactor: rf, multiplier, maxIntervalMs, maxElapsedMs } = this.spec;
    const delta = rf * this.interval;
    const next = rf === 0 ? this.interval : this.interval - delta + Math.random() * 2 * delta;
    this.interval = this.interval >= maxIntervalMs / multiplier ? maxIntervalMs : this.interval * multiplier;
    if (!err || typeof err !== 'object') return;
    if (maxElapsedMs > 0 && Date.now() - this.start + next > maxElapsedMs) outOfTime.add(err);
    else nextDelay.set(err, next);
  }
}

/** Per-failure hand-over between a call's clock and the shared cockatiel policy. */
const nextDelay = new WeakMap<object, number>();
const outOfTime = new WeakSet<object>();

const clockBackoff = new DelegateBackoff<IRetryBackoffContext<unknown>>((ctx) =>
  'error' in ctx.result && ctx.result.error && typeof ctx.result.error === 'object' ? (nextDelay.get(ctx.result.error) ?? 0) : 0,
);

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
  if (err && typeof err === 'object' && outOfTime.has(err)) return false;
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
  private readonly exponential?: RetrySpec;

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
      if (r.policy === 'exponential') this.exponential = r;
      this.retryPolicy = retry(handleWhen((err) => retryMatches(r, err)), {
        maxAttempts: r.maxRetries < 0 ? Infinity : r.maxRetries,
        backoff: r.policy === 'exponential' ? clockBackoff : new ConstantBackoff(r.durationMs),
      });
    }
  }

  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.retryPolicy) return this.attempt(fn, NEVER_ABORTED);
    if (!this.exponential) return this.retryPolicy.execute(({ signal }) => this.attempt(fn, signal), NEVER_ABORTED);
    const clock = new ExponentialClock(this.exponential);
    return this.retryPolicy.execute(
      ({ signal }) =>
        this.attempt(fn, signal).catch((err: unknown) => {
          clock.failed(err);
          throw err;
        }),
      NEVER_ABORTED,
    );
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
