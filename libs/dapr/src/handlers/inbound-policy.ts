import { isNonRetriable, NEVER_ABORTED, type ResiliencyPolicy } from '../resiliency/resiliency-policy';
import type { ResiliencyService } from '../resiliency/resiliency.service';
import { isRefusal } from './handler-binder';

/**
 * The inbound policy of every delivery path (pub/sub topics, input bindings,
 * and the microservices transport): the component's `inbound` policy from the
 * Resiliency spec, or — without one — a short built-in retry (3 retries,
 * exponential from 100 ms up to 1 s) that absorbs blips before the message
 * goes to the dead-letter topic or back to its source for redelivery.
 * Deterministic refusals (a pipe's 400, a guard's 403) and non-retriable
 * errors are never retried.
 */
export const BUILTIN_INBOUND_RETRIES = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A plain loop rather than a cockatiel policy: the first attempt, which is all
 * a healthy delivery needs, costs one function call and no allocation.
 * `stopping` is checked after a failure: at shutdown the message is given back
 * (it is redelivered) instead of waiting out the backoff.
 */
export function builtinInboundPolicy(stopping: () => boolean = () => false): ResiliencyPolicy {
  return {
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      let delay = 100;
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(NEVER_ABORTED);
        } catch (err) {
          if (attempt >= BUILTIN_INBOUND_RETRIES || isNonRetriable(err) || isRefusal(err) || stopping()) throw err;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    },
  };
}

/** The component's inbound policy from the Resiliency spec, else the built-in one. */
export function inboundPolicyFor(
  resiliency: ResiliencyService | undefined,
  component: string,
  stopping?: () => boolean,
): ResiliencyPolicy {
  return resiliency?.policyFor({ kind: 'component', name: component, direction: 'inbound' }) ?? builtinInboundPolicy(stopping);
}
