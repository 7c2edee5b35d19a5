import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { isNonRetriable, type ResiliencyPolicy } from '../resiliency/resiliency-policy';
import type { ResiliencyService } from '../resiliency/resiliency.service';

/**
 * Input binding deliveries run under the component's inbound resiliency policy
 * (Dapr: `targets.components.<name>.inbound`). Without one, a short built-in
 * retry absorbs blips before the event goes back to the source for its own
 * redelivery (Kafka) or is given up (a cron tick).
 */
export const FALLBACK_INBOUND_ATTEMPTS = 3;
const FALLBACK_BACKOFF_MS = 100;

export function fallbackInboundPolicy(): ResiliencyPolicy {
  const policy = retry(
    handleWhen((err) => !isNonRetriable(err)),
    { maxAttempts: FALLBACK_INBOUND_ATTEMPTS - 1, backoff: new ConstantBackoff(FALLBACK_BACKOFF_MS) },
  );
  return {
    execute: <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => policy.execute(({ signal }) => fn(signal)),
  };
}

export function resolveInboundPolicy(resiliency: ResiliencyService | undefined, component: string): ResiliencyPolicy {
  return resiliency?.policyFor({ kind: 'component', name: component, direction: 'inbound' }) ?? fallbackInboundPolicy();
}
