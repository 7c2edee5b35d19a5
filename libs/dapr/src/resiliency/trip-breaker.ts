import { CircuitState, type IBreaker } from 'cockatiel';
import type { BreakerCounts, CircuitBreakerSpec } from './resiliency-spec';

/**
 * A cockatiel breaker that trips the way Dapr's gobreaker-based breaker does:
 * it keeps gobreaker's counters, clears them every `interval` while closed
 * (0 = never) and on every state change, and asks the spec's CEL `trip`
 * expression after each failure whether to open.
 */
export class TripBreaker implements IBreaker {
  private counts: BreakerCounts = zero();
  private generationStart = Date.now();

  constructor(private readonly spec: CircuitBreakerSpec) {}

  get state(): unknown {
    return { counts: { ...this.counts }, generationStart: this.generationStart };
  }

  set state(value: unknown) {
    const v = value as { counts?: BreakerCounts; generationStart?: number } | undefined;
    this.counts = v?.counts ? { ...v.counts } : zero();
    this.generationStart = v?.generationStart ?? Date.now();
  }

  /** Read-only view of the current counters (for tests and health output). */
  snapshot(): Readonly<BreakerCounts> {
    return this.counts;
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) {
      // The probe succeeded: cockatiel closes the circuit; a new generation starts.
      this.reset();
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
    if (state === CircuitState.HalfOpen) {
      this.reset();
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
