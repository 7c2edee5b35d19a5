import type { ModuleRef } from '@nestjs/core';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { isNonRetriable, type PolicyTarget, type ResiliencyPolicy } from '../resiliency/resiliency-policy';

/**
 * Without a Resiliency spec for the component, deliveries get a short built-in
 * retry (3 retries, exponential from 100 ms up to 1 s) before the message goes
 * to the dead-letter topic or back to the broker for redelivery. Publishes are
 * not retried by default (a retried publish can duplicate).
 */
export const BUILTIN_INBOUND_RETRIES = 3;

interface PolicySource {
  [method: string]: unknown;
}

const POLICY_METHODS = ['policyFor', 'getPolicy', 'forTarget', 'policy'] as const;

export function builtinInboundPolicy(): ResiliencyPolicy {
  const policy = retry(handleWhen((err) => !isNonRetriable(err)), {
    maxAttempts: BUILTIN_INBOUND_RETRIES,
    backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
  });
  return { execute: (fn) => policy.execute(({ signal }) => fn(signal)) };
}

/** The component's inbound/outbound policy from the resiliency block, when the app has one. */
export function resolveComponentPolicy(
  moduleRef: ModuleRef,
  component: string,
  direction: 'inbound' | 'outbound',
): ResiliencyPolicy | undefined {
  const service = findResiliencyService(moduleRef);
  if (!service) return undefined;
  const target: PolicyTarget = { kind: 'component', name: component, direction };
  for (const m of POLICY_METHODS) {
    const fn: unknown = service[m];
    if (typeof fn !== 'function') continue;
    const policy = (fn as (t: PolicyTarget) => ResiliencyPolicy | undefined).call(service, target);
    if (policy && typeof policy.execute === 'function') return policy;
  }
  return undefined;
}

function findResiliencyService(moduleRef: ModuleRef): PolicySource | undefined {
  try {
    // Looked up at run time: the resiliency block is optional for pub/sub.
    const mod = require('../resiliency/resiliency.service') as {
      ResiliencyService?: abstract new (...a: never[]) => unknown;
    };
    if (!mod.ResiliencyService) return undefined;
    return moduleRef.get(mod.ResiliencyService, { strict: false }) as PolicySource;
  } catch {
    return undefined;
  }
}
