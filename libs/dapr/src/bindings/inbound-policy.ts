import type { ModuleRef } from '@nestjs/core';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { isNonRetriable, type PolicyTarget, type ResiliencyPolicy } from '../resiliency/resiliency-policy';

/**
 * Input binding deliveries run under the component's inbound resiliency policy
 * (Dapr: `targets.components.<name>.inbound`). The resiliency block is looked up
 * at run time so that bindings work with or without it; without one, a short
 * built-in retry absorbs blips before the event goes back to the source for its
 * own redelivery.
 */
export const FALLBACK_INBOUND_ATTEMPTS = 3;
const FALLBACK_BACKOFF_MS = 100;

interface PolicySource {
  [method: string]: unknown;
}

/** Method names a resiliency service may use to hand out a policy for a target. */
const POLICY_METHODS = ['policyFor', 'getPolicy', 'forTarget', 'policy'] as const;

export function fallbackInboundPolicy(): ResiliencyPolicy {
  const policy = retry(
    handleWhen((err) => !isNonRetriable(err)),
    { maxAttempts: FALLBACK_INBOUND_ATTEMPTS - 1, backoff: new ConstantBackoff(FALLBACK_BACKOFF_MS) },
  );
  return {
    execute: <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => policy.execute(({ signal }) => fn(signal)),
  };
}

export function resolveInboundPolicy(moduleRef: ModuleRef, component: string): ResiliencyPolicy {
  const service = findResiliencyService(moduleRef);
  const target: PolicyTarget = { kind: 'component', name: component, direction: 'inbound' };
  if (service) {
    for (const m of POLICY_METHODS) {
      const getter: unknown = service[m];
      if (typeof getter !== 'function') continue;
      const policy: ResiliencyPolicy | undefined = (getter as (t: PolicyTarget) => ResiliencyPolicy | undefined).call(service, target);
      if (policy && typeof policy.execute === 'function') return policy;
    }
  }
  return fallbackInboundPolicy();
}

function findResiliencyService(moduleRef: ModuleRef): PolicySource | undefined {
  try {
    // Resolved lazily: the resiliency block may not be part of this build.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../resiliency/resiliency.service') as { ResiliencyService?: abstract new (...a: never[]) => unknown };
    if (!mod.ResiliencyService) return undefined;
    return moduleRef.get(mod.ResiliencyService, { strict: false }) as PolicySource;
  } catch {
    return undefined;
  }
}
