import type { ModuleRef } from '@nestjs/core';
import type { PolicyTarget, ResiliencyPolicy } from '../resiliency/resiliency-policy';

/**
 * Optional provider: `(storeName) => policy`. An app (or the resiliency block)
 * can provide it to wrap every state store call in a policy; without it the
 * block looks for the resiliency block's service at run time.
 */
export const DAPR_STATE_POLICY_RESOLVER = Symbol('dapr:state-policy-resolver');
export type StatePolicyResolver = (store: string) => ResiliencyPolicy | undefined;

const POLICY_METHODS = ['policyFor', 'getPolicy', 'forTarget', 'policy'] as const;

/** The outbound component policy of the resiliency block, when the app has one. */
export function findStatePolicy(moduleRef: ModuleRef, store: string): ResiliencyPolicy | undefined {
  let service: Record<string, unknown> | undefined;
  try {
    // Looked up at run time: the resiliency block is optional for state.
    const mod = require('../resiliency/resiliency.service') as {
      ResiliencyService?: abstract new (...a: never[]) => unknown;
    };
    if (!mod.ResiliencyService) return undefined;
    service = moduleRef.get(mod.ResiliencyService, { strict: false }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const target: PolicyTarget = { kind: 'component', name: store, direction: 'outbound' };
  for (const m of POLICY_METHODS) {
    const fn = service?.[m];
    if (typeof fn !== 'function') continue;
    const policy = (fn as (t: PolicyTarget) => ResiliencyPolicy | undefined).call(service, target);
    if (policy && typeof policy.execute === 'function') return policy;
  }
  return undefined;
}
