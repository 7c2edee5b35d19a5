import type { ModuleRef } from '@nestjs/core';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';

/**
 * Optional provider, from any module: `(storeName) => policy | undefined`. It
 * wraps every call to that store's driver in the policy instead of the
 * Resiliency spec's outbound component policy. Policies must not retry errors
 * flagged `nonRetriable` (ETag conflicts, bad input).
 */
export const DAPR_STATE_POLICY_RESOLVER = Symbol('dapr:state-policy-resolver');
export type StatePolicyResolver = (store: string) => ResiliencyPolicy | undefined;

export function findPolicyResolver(moduleRef: ModuleRef): StatePolicyResolver | undefined {
  try {
    return moduleRef.get<StatePolicyResolver>(DAPR_STATE_POLICY_RESOLVER, { strict: false });
  } catch {
    return undefined;
  }
}
