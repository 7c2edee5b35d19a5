import type { CelResult } from '@bufbuild/cel';
import type { StatusCodeRanges } from './status-code-ranges';

/** The counters Dapr's circuit breakers expose to `trip` (gobreaker's Counts). */
export interface BreakerCounts {
  requests: number;
  totalSuccesses: number;
  totalFailures: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

export interface RetrySpec {
  name: string;
  policy: 'constant' | 'exponential';
  /** Constant back-off delay. */
  durationMs: number;
  /** Exponential back-off: first interval, growth per retry and jitter (±factor), as cenkalti/backoff. */
  initialIntervalMs: number;
  multiplier: number;
  randomizationFactor: number;
  /** Exponential back-off cap. */
  maxIntervalMs: number;
  /** Exponential back-off gives up once this much time has passed (0 = never); Dapr's default 15 min. */
  maxElapsedMs: number;
  /** -1 means unlimited, 0 means none. */
  maxRetries: number;
  httpStatusCodes?: StatusCodeRanges;
  grpcStatusCodes?: StatusCodeRanges;
}

export interface CircuitBreakerSpec {
  name: string;
  maxRequests: number;
  /** Period after which closed-state counts reset; 0 = never. */
  intervalMs: number;
  /** Open → half-open delay. */
  timeoutMs: number;
  trip: string;
  evaluate: (counts: BreakerCounts) => CelResult;
}

export interface TimeoutSpec {
  name: string;
  ms: number;
}

/** Names of the three policies a target uses (any may be absent). */
export interface TargetPolicyNames {
  timeout?: string;
  retry?: string;
  circuitBreaker?: string;
}

/** Every Resiliency resource of the app merged into one lookup model. */
export interface CompiledResiliency {
  timeouts: Map<string, TimeoutSpec>;
  retries: Map<string, RetrySpec>;
  circuitBreakers: Map<string, CircuitBreakerSpec>;
  apps: Map<string, TargetPolicyNames>;
  components: Map<string, { inbound?: TargetPolicyNames; outbound?: TargetPolicyNames }>;
}

export function emptyResiliency(): CompiledResiliency {
  return { timeouts: new Map(), retries: new Map(), circuitBreakers: new Map(), apps: new Map(), components: new Map() };
}
