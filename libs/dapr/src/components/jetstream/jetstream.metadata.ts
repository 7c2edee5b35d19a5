import { defineMetadata, type DecodedMetadata, type MetadataFields } from '../../spi/kit/metadata';

const NO_RETRY_CONFIG =
  "Dapr decodes its backOff* retry settings for this component but never uses them; redelivery is the consumer's (ackWait, backOff, maxDeliver)";

/**
 * components-contrib `pubsub/jetstream/metadata.go` (kitmd.DecodeMetadata:
 * truthy booleans, bare numbers for durations are seconds). Every field is
 * the component's; Dapr's JetStream component reads no subscription metadata
 * and no `consumerID` (its docs: "consumerID is not supported"), so competing
 * consumers are `durableName` + `queueGroupName`.
 */
export const JETSTREAM_FIELDS = {
  natsURL: { type: 'string', required: true, description: 'NATS server URL, e.g. nats://localhost:4222 (a comma-separated list for a cluster).' },
  jwt: { type: 'string', sensitive: true, description: 'User JWT (decentralised auth); needs seedKey.' },
  seedKey: { type: 'string', sensitive: true, description: 'User NKey seed that signs the server nonce; needs jwt.' },
  token: { type: 'string', sensitive: true, description: 'Token authentication (used when jwt/seedKey and the TLS client pair are absent).' },
  tls_client_cert: {
    type: 'string',
    support: 'differs',
    note: 'Dapr reads a file path; nest-dapr also accepts the PEM text itself',
    description: 'TLS client certificate (file path or PEM); needs tls_client_key.',
  },
  tls_client_key: { type: 'string', sensitive: true, description: 'TLS client key (file path or PEM); needs tls_client_cert.' },
  name: { type: 'string', default: 'dapr.io - pubsub.jetstream', defaultWhen: 'empty', description: 'Connection name shown by the server.' },
  streamName: { type: 'string', description: 'Stream the consumers are created on (default: the stream whose subjects cover the topic).' },
  durableName: {
    type: 'string',
    support: 'differs',
    note: "Dapr gives every topic of the component this one consumer, which the server refuses for the second topic; nest-dapr refuses that at subscribe and reads a durableName from each subscription's metadata",
    description: 'Durable consumer name; without it consumers are ephemeral. One durable consumer filters one topic (set it per subscription when a component serves several).',
  },
  queueGroupName: { type: 'string', description: 'Deliver group: instances with the same durableName and queue group share the messages.' },
  startSequence: { type: 'int', unsigned: true, default: 0, description: 'First stream sequence (deliverPolicy sequence).' },
  startTime: { type: 'int', unsigned: true, unit: 's', description: 'First message time, Unix seconds (deliverPolicy time).' },
  flowControl: { type: 'bool', default: false, description: 'Push consumer flow control.' },
  ackWait: { type: 'duration', default: '0', description: "How long a delivery waits for its ack before redelivery (0: the server's 30 s); also the delay of a negative ack." },
  maxDeliver: { type: 'int', default: 0, description: 'Deliveries of one message before the server gives up on it (0: unlimited).' },
  backOff: { type: 'string-list', trim: true, description: 'Comma-separated redelivery delays, e.g. 1s,5s,30s (needs maxDeliver greater than their count).' },
  maxAckPending: { type: 'int', default: 0, description: "Unacknowledged messages in flight per consumer (0: the server's 1000)." },
  replicas: { type: 'int', default: 0, description: 'Replicas of the consumer state (0: as the stream).' },
  memoryStorage: { type: 'bool', default: false, description: 'Keep the consumer state in memory.' },
  rateLimit: { type: 'int', unsigned: true, default: 0, unit: 'bits/s', description: 'Delivery rate limit (0: none).' },
  heartbeat: { type: 'duration', default: '0', description: 'Idle heartbeat of the push consumer (0: none).' },
  deliverPolicy: {
    type: 'enum',
    values: ['all', 'last', 'new', 'sequence', 'time'],
    default: 'all',
    defaultWhen: 'empty',
    description: 'Where a new consumer starts: all, last, new, sequence (startSequence) or time (startTime).',
  },
  ackPolicy: {
    type: 'enum',
    values: ['explicit', 'all', 'none'],
    default: 'explicit',
    defaultWhen: 'empty',
    support: 'differs',
    note: 'Dapr reads any other value as explicit; nest-dapr refuses it',
    description: 'explicit (each message), all (a message and those before it) or none (no acks: at most once).',
  },
  domain: { type: 'string', description: 'JetStream domain (leaf nodes).' },
  apiPrefix: { type: 'string', description: 'JetStream API prefix (imported JetStream of another account).' },
  concurrency: { type: 'enum', values: ['single', 'parallel'], default: 'single', defaultWhen: 'empty', description: 'single: one message at a time, in order; parallel: every delivered message at once.' },
  backOffPolicy: { type: 'string', support: 'unsupported', note: NO_RETRY_CONFIG, description: 'Retry policy (decoded by Dapr, unused).' },
  backOffDuration: { type: 'string', support: 'unsupported', note: NO_RETRY_CONFIG, description: 'Retry interval (decoded by Dapr, unused).' },
  backOffMaxRetries: { type: 'string', support: 'unsupported', note: NO_RETRY_CONFIG, description: 'Retries (decoded by Dapr, unused).' },
  autoCreateStream: {
    type: 'bool',
    default: false,
    support: 'extension',
    description:
      'Create the stream when missing (named streamName, else after the topic) and add a topic its subjects do not cover. Dapr expects the stream to exist.',
  },
} as const satisfies MetadataFields;

export type JetStreamMetadata = DecodedMetadata<typeof JETSTREAM_FIELDS>;

export const JETSTREAM_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.jetstream',
  title: 'NATS JetStream',
  summary:
    "The nats client with Dapr's layout: the topic is the subject, the CloudEvent the payload with its id as Nats-Msg-Id (deduplication); one push consumer per subscription, filtered on the topic. A subscription's metadata may override the component's (e.g. durableName per topic). A dead-letter topic needs its own stream: the dead letter keeps the CloudEvent id, which the topic's stream would drop as a duplicate (as with Dapr).",
  dialect: 'metadata',
  origin: 'dapr',
  fields: JETSTREAM_FIELDS,
});
