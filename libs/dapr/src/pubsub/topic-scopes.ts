import { decodeMetadata, defineMetadata } from '../spi/kit/metadata';
const RUNTIME_PUBSUB = defineMetadata({
  type: 'pubsub.*',
  title: 'pub/sub runtime fields',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    consumerID: { type: 'string', description: '' },
    publishingScopes: { type: 'string', description: '' },
    subscriptionScopes: { type: 'string', description: '' },
    allowedTopics: { type: 'string', description: '' },
    protectedTopics: { type: 'string', description: '' },
  },
});

/** The pub/sub fields daprd reads from every pub/sub component, matched case-insensitively. */
export function runtimePubSubMetadata(component: string, properties: Record<string, string>) {
  return decodeMetadata(RUNTIME_PUBSUB, { name: component, properties });
}

/**
 * Dapr's pub/sub topic scoping (component metadata `publishingScopes`,
 * `subscriptionScopes`, `allowedTopics`, `protectedTopics`), resolved for one
 * app id once, so the per-publish check is a couple of Set lookups.
 */
export class TopicScopes {
  private readonly allowed?: Set<string>;
  private readonly protectedTopics?: Set<string>;
  /** undefined: the app is not listed (unrestricted unless the topic is protected). */
  private readonly publishing?: Set<string>;
  private readonly subscribing?: Set<string>;

  constructor(properties: Record<string, string>, appId: string, component = 'pubsub') {
    const m = runtimePubSubMetadata(component, properties);
    this.allowed = topicList(m.allowedTopics);
    this.protectedTopics = topicList(m.protectedTopics);
    this.publishing = scopedTopics(m.publishingScopes, appId);
    this.subscribing = scopedTopics(m.subscriptionScopes, appId);
  }

  canPublish(topic: string): boolean {
    return this.allows(topic, this.publishing);
  }

  canSubscribe(topic: string): boolean {
    return this.allows(topic, this.subscribing);
  }

  private allows(topic: string, scoped: Set<string> | undefined): boolean {
    if (this.allowed && !this.allowed.has(topic)) return false;
    if (scoped === undefined) return !this.protectedTopics?.has(topic);
    return scoped.has(topic);
  }
}

function topicList(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const topics = value.replace(/\s+/g, '').split(',').filter(Boolean);
  return topics.length ? new Set(topics) : undefined;
}

/** `"app1=t1,t2;app2=t3;app3="` → the topics of `appId` (empty set for `app3=`), undefined when not listed. */
function scopedTopics(value: string | undefined, appId: string): Set<string> | undefined {
  if (!value) return undefined;
  let out: Set<string> | undefined;
  for (const entry of value.replace(/\s+/g, '').split(';')) {
    const eq = entry.indexOf('=');
    const app = eq < 0 ? entry : entry.slice(0, eq);
    if (app !== appId) continue;
    out ??= new Set();
    if (eq >= 0) for (const t of entry.slice(eq + 1).split(',')) if (t) out.add(t);
  }
  return out;
}
