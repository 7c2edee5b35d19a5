import { isNonRetriable, type ResiliencyPolicy } from '../resiliency/resiliency-policy';
import type { ResiliencyService } from '../resiliency/resiliency.service';

/**
 * Without a Resiliency spec for the component, deliveries get a short built-in
 * retry (3 retries, exponential from 100 ms up to 1 s) before the message goes
 * to the dead-letter topic or back to the broker for redelivery. Publishes are
 * not retried by default (a retried publish can duplicate).
 */
export const BUILTIN_INBOUND_RETRIES = 3;

const NEVER_ABORTED = new AbortController().signal;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A plain loop rather than a cockatiel policy: the first attempt, which is all
 * a healthy delivery needs, costs one function call and no allocation.
 */
export function builtinInboundPolicy(stopping: () => boolean = () => false): ResiliencyPolicy {
  return {
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      let delay = 100;
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(NEVER_ABORTED);
        } catch (err) {
          // At shutdown, give the message back (it is redelivered) instead of waiting out the backoff.
          if (attempt >= BUILTIN_INBOUND_RETRIES || isNonRetriable(err) || stopping()) throw err;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    },
  };
}

/** The component's inbound/outbound policy from the Resiliency spec, when one applies. */
export function componentPolicy(
  resiliency: ResiliencyService | undefined,
  component: string,
  direction: 'inbound' | 'outbound',
): ResiliencyPolicy | undefined {
  return resiliency?.policyFor({ kind: 'component', name: component, direction });
}
