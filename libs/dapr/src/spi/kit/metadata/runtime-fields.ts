import type { MetadataFields } from './metadata-schema';

/**
 * Component metadata daprd itself reads for every component of a kind (not
 * the component's own `metadata.go`): key prefixes and the outbox for state
 * stores, scopes for pub/sub, direction and route for bindings. The runtime
 * accepts them on every driver of the kind; the blocks decode them.
 */
export const RUNTIME_FIELDS: Readonly<Record<string, MetadataFields>> = {
  state: {
    keyPrefix: {
      type: 'string',
      description: 'Key prefix strategy: appid (default), name, namespace, none, or a custom prefix ("" gives "||key").',
    },
    actorStateStore: { type: 'bool', support: 'unsupported', note: 'nest-dapr has no actors', description: 'Use this store for actor state.' },
    outboxPublishPubsub: { type: 'string', description: 'Transactional outbox: the pub/sub that transactions\' upserts are published on (with outboxPublishTopic).' },
    outboxPublishTopic: { type: 'string', description: 'Transactional outbox: the topic they are published to.' },
    outboxPubsub: { type: 'string', description: 'Transactional outbox: the pub/sub of the internal topic (default: outboxPublishPubsub).' },
    outboxDiscardWhenMissingState: { type: 'bool', description: 'Transactional outbox: drop an internal message whose transaction never committed instead of retrying it.' },
  },
  pubsub: {
    consumerID: { type: 'string', description: 'Consumer group / subscription name (default: the app id; {uuid}, {podName}, {namespace}, {appID} expanded).' },
    publishingScopes: { type: 'string', description: 'app=topic1,topic2;app2=... — topics each app may publish.' },
    subscriptionScopes: { type: 'string', description: 'app=topic1,topic2;app2=... — topics each app may subscribe to.' },
    allowedTopics: { type: 'string', description: 'Comma-separated topics; any other topic is refused.' },
    protectedTopics: { type: 'string', description: 'Topics only apps with an explicit scope may use.' },
  },
  lock: {
    keyPrefix: {
      type: 'string',
      description: 'Lock key prefix strategy: appid (default: `lock||<appId>||<resourceId>`), name (`lock||<store>||<resourceId>`), none (`lock||<resourceId>`), or a custom prefix (`lock||<prefix>||<resourceId>`, lower-cased).',
    },
  },
  bindings: {
    direction: { type: 'string', description: 'input, output or "input, output".' },
    route: { type: 'string', description: 'Input binding: the app route events are delivered to.' },
  },
};
