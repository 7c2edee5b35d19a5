import { ComponentConfigError, type ConfigSource } from './component-config.error';
import { DaprError } from './dapr.error';

/** A malformed Resiliency spec (YAML or inline): names the file and the field. Raised at start-up. */
export class ResiliencyConfigError extends ComponentConfigError {
  constructor(message: string, source: ConfigSource | undefined, resource: string, field: string) {
    super(`resiliency "${resource}": ${field}: ${message}`, source, resource, field);
  }
}

/** The circuit breaker guarding a target is open (or half-open and busy probing): the call was not attempted. */
export class CircuitBreakerOpenError extends DaprError {
  /** Never retried: retrying into an open breaker only burns the retry budget (Dapr: backoff.Permanent). */
  readonly nonRetriable = true;
  constructor(
    readonly policy: string,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(`circuit breaker "${policy}" for ${target} is open`, 'ERR_CIRCUIT_BREAKER_OPEN', options);
  }
}

/** One attempt exceeded the resiliency timeout of its target. */
export class ResiliencyTimeoutError extends DaprError {
  constructor(
    readonly policy: string,
    readonly target: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`timeout "${policy}" (${timeoutMs} ms) elapsed for ${target}`, 'ERR_RESILIENCY_TIMEOUT', options);
  }
}
