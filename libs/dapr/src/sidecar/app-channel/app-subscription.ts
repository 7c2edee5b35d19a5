import { parseSubscriptionResource, type SubscriptionRoute } from '../../pubsub/subscription-resource';
import type { DaprResource } from '../../runtime/component-definition';

export interface AppBulkSubscribe {
  enabled: boolean;
  maxMessagesCount?: number;
  maxAwaitDurationMs?: number;
}

/** One subscription of the app, from `GET /dapr/subscribe`, a Subscription resource or gRPC ListTopicSubscriptions. */
export interface AppSubscription {
  pubsubname: string;
  topic: string;
  /** Rules in order, then the default route (no `match`). */
  routes: SubscriptionRoute[];
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  bulkSubscribe?: AppBulkSubscribe;
  type: 'PROGRAMMATIC' | 'DECLARATIVE';
}

/**
 * Reads the JSON of `GET /dapr/subscribe` as daprd does (`SubscriptionJSON`):
 * `routes.rules` in order, then `routes.default`, else the v1 `route`;
 * an entry without any route is skipped (daprd warns and drops it).
 */
export function parseProgrammaticSubscriptions(json: unknown, warn: (msg: string) => void): AppSubscription[] {
  if (!Array.isArray(json)) {
    if (json !== null && json !== undefined) warn('GET /dapr/subscribe did not answer a JSON array; no programmatic subscriptions');
    return [];
  }
  const out: AppSubscription[] = [];
  for (const raw of json as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object') continue;
    const pubsubname = str(raw.pubsubname) ?? str(raw.pubsubName);
    const topic = str(raw.topic);
    if (!pubsubname || !topic) {
      warn(`ignoring a subscription without pubsubname or topic: ${JSON.stringify(raw)}`);
      continue;
    }
    const routes: SubscriptionRoute[] = [];
    const r = raw.routes as { rules?: { match?: unknown; path?: unknown }[]; default?: unknown } | undefined;
    for (const rule of Array.isArray(r?.rules) ? r!.rules : []) {
      const path = str(rule?.path);
      if (!path) continue;
      const match = str(rule.match)?.trim() || undefined;
      routes.push({ match, path });
    }
    const def = str(r?.default);
    if (def) routes.push({ path: def });
    else if (str(raw.route)) routes.push({ path: str(raw.route)! });
    if (routes.length === 0) {
      warn(`ignoring subscription ${pubsubname}/${topic}: it has no route`);
      continue;
    }
    out.push({
      pubsubname,
      topic,
      routes,
      deadLetterTopic: str(raw.deadLetterTopic) || undefined,
      metadata: stringMetadata(raw.metadata),
      bulkSubscribe: bulkOf(raw.bulkSubscribe),
      type: 'PROGRAMMATIC',
    });
  }
  return out;
}

/** A declarative `Subscription` resource in the same shape. */
export function declarativeSubscription(res: DaprResource): AppSubscription {
  const sub = parseSubscriptionResource(res);
  return {
    pubsubname: sub.pubsubname,
    topic: sub.topic,
    routes: sub.routes,
    deadLetterTopic: sub.deadLetterTopic,
    metadata: sub.metadata,
    bulkSubscribe: bulkOf(res.spec.bulkSubscribe),
    type: 'DECLARATIVE',
  };
}

function bulkOf(raw: unknown): AppBulkSubscribe | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const b = raw as Record<string, unknown>;
  const enabled = b.enabled === true || b.enabled === 'true';
  if (!enabled) return undefined;
  const count = Number(b.maxMessagesCount);
  const wait = Number(b.maxAwaitDurationMs);
  return {
    enabled,
    maxMessagesCount: count > 0 ? count : undefined,
    maxAwaitDurationMs: wait > 0 ? wait : undefined,
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function stringMetadata(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}
