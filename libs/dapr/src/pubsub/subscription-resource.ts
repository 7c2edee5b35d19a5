import type { DaprResource } from '../runtime/component-definition';
import { SubscriptionConfigError } from '../errors/pubsub.errors';
import { describeSource } from '../errors/component-config.error';

/** One route of a declarative Subscription: a CEL `match` (absent for the default) and an app path. */
export interface SubscriptionRoute {
  match?: string;
  path: string;
}

/** A `Subscription` resource (dapr.io/v2alpha1, or v1alpha1 with `spec.route`), validated. */
export interface DeclarativeSubscription {
  name: string;
  pubsubname: string;
  topic: string;
  routes: SubscriptionRoute[];
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  where: string;
}

/**
 * Reads Dapr's declarative Subscription: rules in order, then the default
 * route; v1alpha1's single `route` when there are neither. A subscription with
 * no route at all is a start-up error naming the file.
 */
export function parseSubscriptionResource(res: DaprResource): DeclarativeSubscription {
  const where = `${describeSource(res.source)}: Subscription "${res.name}"`;
  const spec = res.spec;
  const str = (field: string, required: boolean): string | undefined => {
    const v = spec[field];
    if (v === undefined || v === null || v === '') {
      if (required) throw new SubscriptionConfigError(`${where}: spec.${field} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new SubscriptionConfigError(`${where}: spec.${field} must be a string`);
    return v;
  };
  const pubsubname = str('pubsubname', true)!;
  const topic = str('topic', true)!;
  const routes: SubscriptionRoute[] = [];
  const r = spec.routes as { rules?: { match?: unknown; path?: unknown }[]; default?: unknown } | undefined;
  if (r !== undefined && (typeof r !== 'object' || r === null)) {
    throw new SubscriptionConfigError(`${where}: spec.routes must be a mapping with rules and/or default`);
  }
  for (const [i, rule] of (r?.rules ?? []).entries()) {
    if (typeof rule?.path !== 'string' || !rule.path) {
      throw new SubscriptionConfigError(`${where}: spec.routes.rules[${i}].path is required`);
    }
    const match = typeof rule.match === 'string' && rule.match.trim() ? rule.match : undefined;
    routes.push({ match, path: rule.path });
  }
  if (typeof r?.default === 'string' && r.default) routes.push({ path: r.default });
  else if (typeof spec.route === 'string' && spec.route) routes.push({ path: spec.route });
  if (routes.length === 0) throw new SubscriptionConfigError(`${where}: no routes (spec.routes.rules, spec.routes.default or spec.route)`);
  const metadata: Record<string, string> = {};
  const meta = spec.metadata;
  if (meta && typeof meta === 'object') {
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) metadata[k] = String(v);
  }
  return { name: res.name, pubsubname, topic, routes, deadLetterTopic: str('deadLetterTopic', false), metadata, where };
}
