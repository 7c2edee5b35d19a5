import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { isNonRetriable, type ResiliencyPolicy } from '../resiliency/resiliency-policy';
import type { ResiliencyService } from '../resiliency/resiliency.service';

/**
 * Without a Resiliency spec for the component, deliveries get a short built-in
 * retry (3 retries, exponential from 100 ms up to 1 s) before the message goes
 * to the dead-letter topic or back to the broker for redelivery. Publishes are
 * not retried by default (a retried publish can duplicate).
 */
export const BUILTIN_INBOUND_RETRIES = 3;

export function builtinInboundPolicy(): ResiliencyPolicy {
  const policy = retry(handleWhen((err) => !isNonRetriable(err)), {
    maxAttempts: BUILTIN_INBOUND_RETRIES,
    backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
  });
  return { execute: (fn) => policy.execute(({ signal }) => fn(signal)) };
}

/** The component's inbound/outbound policy from the Resiliency spec, when one applies. */
export function componentPolicy(
  resiliency: ResiliencyService | undefined,
  component: string,
  direction: 'inbound' | 'outbound',
): ResiliencyPolicy | undefined {
  return resiliency?.policyFor({ kind: 'component', name: component, direction });
}
