import type { PolicyTarget, ResiliencyPolicy } from './resiliency-policy';
import type { DaprMetrics, ResiliencyFlowDirection, ResiliencyPolicyKind } from '../observability/dapr-metrics';

type Listener = (listener: () => void) => unknown;

/** The parts of a resiliency policy runner this observer reads (structural, so it stays decoupled). */
export interface ObservablePolicy extends ResiliencyPolicy {
  parts: {
    timeout?: { name: string };
    retry?: { name: string };
    circuitBreaker?: { name: string };
  };
  retryPolicy?: { onRetry: Listener };
  breakerPolicy?: { onBreak: Listener; onHalfOpen: Listener; onReset: Listener };
}

/** Dapr's `target` label: `app_<appId>` or `component_<name>_<direction>`. */
export function resiliencyTargetLabel(target: PolicyTarget): string {
  return target.kind === 'app' ? `app_${target.appId}` : `component_${target.name}_${target.direction}`;
}

/**
 * Records Dapr's resiliency metrics for one target's policy:
 * `dapr_resiliency_loaded` once per policy, `dapr_resiliency_count` on every
 * execution, `dapr_resiliency_activations_total` on each retry and breaker
 * trip, and `dapr_resiliency_cb_state`. Returns the same policy object.
 */
export function observeResiliencyPolicy<P extends ObservablePolicy>(policy: P, target: PolicyTarget, metrics?: DaprMetrics): P {
  if (!metrics) return policy;
  const label = resiliencyTargetLabel(target);
  const dir: ResiliencyFlowDirection = target.kind === 'app' ? 'outbound' : target.direction;
  const kinds: [ResiliencyPolicyKind, string][] = [];
  if (policy.parts.timeout) kinds.push(['timeout', policy.parts.timeout.name]);
  if (policy.parts.retry) kinds.push(['retry', policy.parts.retry.name]);
  if (policy.parts.circuitBreaker) kinds.push(['circuitbreaker', policy.parts.circuitBreaker.name]);
  for (const [, name] of kinds) metrics.resiliencyLoaded(name);

  const retryName = policy.parts.retry?.name;
  if (retryName && policy.retryPolicy) {
    policy.retryPolicy.onRetry(() => metrics.resiliencyActivated(retryName, 'retry', dir, label));
  }
  const cbName = policy.parts.circuitBreaker?.name;
  if (cbName && policy.breakerPolicy) {
    metrics.circuitBreakerState(cbName, dir, label, 'closed');
    policy.breakerPolicy.onBreak(() => {
      metrics.resiliencyActivated(cbName, 'circuitbreaker', dir, label, 'open');
      metrics.circuitBreakerState(cbName, dir, label, 'open');
    });
    policy.breakerPolicy.onHalfOpen(() => metrics.circuitBreakerState(cbName, dir, label, 'half-open'));
    policy.breakerPolicy.onReset(() => metrics.circuitBreakerState(cbName, dir, label, 'closed'));
  }

  const execute = policy.execute.bind(policy);
  policy.execute = <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    for (const [kind, name] of kinds) metrics.resiliencyApplied(name, kind, dir, label);
    return execute(fn).catch((err: unknown) => {
      if (policy.parts.timeout && (err as { name?: string })?.name === 'ResiliencyTimeoutError') {
        metrics.resiliencyActivated(policy.parts.timeout.name, 'timeout', dir, label);
      }
      throw err;
    });
  };
  return policy;
}
