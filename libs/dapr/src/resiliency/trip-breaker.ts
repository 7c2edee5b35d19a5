import { CircuitState, type IBreaker } from 'cockatiel';
import type { BreakerCounts, CircuitBreakerSpec } from './resiliency-spec';

/**
 * A cockatiel breaker that trips the way Dapr's gobreaker-based breaker does:
 * it keeps gobreaker's counters, clears them every `interval` while closed
 * (0 = never) and on every state change, and asks the spec's CEL `trip`
 * expression after each failure whether to open.
 *
 * Half-open: gobreaker lets `maxRequests` requests through and closes only
 * after that many consecutive successes; any failure re-opens. Cockatiel lets
 * one probe through and closes on its success, so with `maxRequests` > 1 the
 * breaker stays on probation after that close: until `maxRequests`
 * consecutive successes have been counted in all, the first failure opens the
 * circuit again without asking the trip rule.
 */
export class TripBreaker implements IBreaker {
  private counts: BreakerCounts = zero();
  private generationStart = Date.now();
  /** Successes still owed before a half-open circuit counts as closed (0 = not on probation). */
  private probation = 0;

  constructor(private readonly spec: CircuitBreakerSpec) {}

  get state(): unknown {
    return { counts: { ...this.counts }, generationStart: this.generationStart, probation: this.probation };
  }

  set state(value: unknown) {
    const v = value as { counts?: BreakerCounts; generationStart?: number; probation?: number } | undefined;
    this.counts = v?.counts ? { ...v.counts } : zero();
    this.generationStart = v?.generationStart ?? Date.now();
    this.probation = v?.probation ?? 0;
  }

  /** Read-only view of the current counters (for tests and health output). */
  snapshot(): Readonly<BreakerCounts> {
    return this.counts;
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) {
      // The probe succeeded: cockatiel closes the circuit; a new generation starts.
      this.reset();
      this.probation = this.spec.maxRequests - 1;
      return;
    }
    if (this.probation > 0) {
      this.probation--;
      return;
    }
    this.roll();
    const c = this.counts;
    c.requests++;
    c.totalSuccesses++;
    c.consecutiveSuccesses++;
    c.consecutiveFailures = 0;
  }

  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen || this.probation > 0) {
      this.reset();
      this.probation = 0;
      return true;
    }
    this.roll();
    const c = this.counts;
    c.requests++;
    c.totalFailures++;
    c.consecutiveFailures++;
    c.consecutiveSuccesses = 0;
    if (this.spec.evaluate(c) === true) {
      this.reset();
      return true;
    }
    return false;
  }

  private roll(): void {
    if (this.spec.intervalMs > 0 && Date.now() - this.generationStart >= this.spec.intervalMs) this.reset();
  }

  private reset(): void {
    this.counts = zero();
    this.generationStart = Date.now();
  }
}

function zero(): BreakerCounts {
  return { requests: 0, totalSuccesses: 0, totalFailures: 0, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}
