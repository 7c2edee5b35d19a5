/** Resiliency: Dapr's Resiliency spec (timeouts, retries, circuit breakers) on cockatiel. */
export * from './resiliency-policy';
export { ResiliencyService } from './resiliency.service';
export { PolicyRunner, type PolicyParts } from './policy-runner';
export type { BreakerCounts, RetrySpec, CircuitBreakerSpec, TimeoutSpec } from './resiliency-spec';
export * from './resiliency-metrics';
