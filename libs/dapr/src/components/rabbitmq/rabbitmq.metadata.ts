import { defineMetadata, type MetadataFields } from '../../spi/kit/metadata';

/**
 * TLS fields of both RabbitMQ components (components-contrib `pubsub/tls.go`
 * and `bindings/rabbitmq`): PEM text, checked to hold a PEM block.
 */
const TLS_FIELDS = {
  caCert: { type: 'string', description: 'PEM CA certificate that signs the broker certificate (amqps).' },
  clientCert: { type: 'string', sensitive: true, description: 'PEM client certificate for mutual TLS (amqps).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of clientCert.' },
} as const satisfies MetadataFields;

/** Subscription metadata Dapr reads in `prepareSubscription` (`pubsub/rabbitmq/rabbitmq.go`). */
const RABBITMQ_SUBSCRIPTION_FIELDS = {
  queueName: { type: 'string', description: 'Queue to consume instead of `<consumerID>-<topic>`.' },
  routingKey: {
    type: 'string',
    description: 'Binding keys of the queue, comma separated (`topic`/`direct` exchanges); also a publish metadata key.',
  },
  queueType: {
    type: 'enum',
    values: ['classic', 'quorum'],
    default: 'classic',
    description: '`x-queue-type` of the subscription queue (quorum queues need durable and deletedWhenUnused=false).',
  },
  maxPriority: { type: 'int', min: 0, unsigned: true, description: '`x-max-priority` of the subscription queue (values above 255 count as 255).' },
  singleActiveConsumer: { type: 'bool', default: false, description: '`x-single-active-consumer`: one consumer of the queue receives at a time.' },
  maxLen: { type: 'int', min: 0, unsigned: true, description: '`x-max-length` of this subscription queue (over the component value).' },
  maxLenBytes: { type: 'int', min: 0, unsigned: true, unit: 'bytes', description: '`x-max-length-bytes` of this subscription queue (over the component value).' },
} as const satisfies MetadataFields;

/**
 * `pubsub.rabbitmq`: components-contrib `pubsub/rabbitmq/metadata.go`
 * (kitmd.DecodeMetadata) with the defaults of `createMetadata` (its code,
 * where it and metadata.yaml disagree: `durable` defaults to true).
 */
export const RABBITMQ_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.rabbitmq',
  title: 'RabbitMQ',
  summary:
    "Dapr's topology: one exchange per topic (`fanout` by default), one queue per consumerID named `<consumerID>-<topic>`, `dlx-<queue>`/`dlq-<queue>` for enableDeadLetter; the CloudEvent is the message body with Dapr's properties (`text/plain`, deliveryMode, expiration, priority).",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    connectionString: {
      type: 'string',
      sensitive: true,
      description: 'AMQP URI `amqp[s]://user:pass@host:port/vhost`; alternatively hostname, username, password and protocol.',
    },
    host: { type: 'string', sensitive: true, deprecated: 'connectionString', description: 'Old name of connectionString (used when connectionString is empty).' },
    protocol: { type: 'enum', values: ['amqp', 'amqps'], description: 'amqp or amqps; must match the scheme of connectionString when both are set.' },
    hostname: { type: 'string', default: 'localhost', description: 'Broker host (and :port) when no connectionString is given.' },
    username: { type: 'string', description: 'User name when no connectionString is given.' },
    password: { type: 'string', sensitive: true, description: 'Password when no connectionString is given.' },
    consumerID: { type: 'string', description: 'Prefix of the subscription queues (default: the app id).' },
    durable: { type: 'bool', default: true, description: 'Declare exchanges and queues durable.' },
    deletedWhenUnused: {
      type: 'bool',
      default: true,
      description: 'Declare exchanges and queues auto-delete (a queue goes with its last consumer; set false for messages to wait for a stopped app).',
    },
    autoAck: { type: 'bool', default: false, description: 'Consume without acknowledgements (a message is settled when delivered, at-most-once).' },
    requeueInFailure: {
      type: 'bool',
      default: false,
      support: 'differs',
      note: 'Dapr nacks a failed message without requeue when false, which drops it unless enableDeadLetter; nest-dapr requeues it then too (never loses it) and only lets it go to the dead-letter exchange when enableDeadLetter is true',
      description: 'Requeue a message whose handler failed (otherwise it goes to the dead-letter queue with enableDeadLetter).',
    },
    enableDeadLetter: {
      type: 'bool',
      default: false,
      description: 'Declare `dlx-<queue>` (fanout) and the lazy queue `dlq-<queue>` and route rejected messages there.',
    },
    deliveryMode: { type: 'int', bits: 8, unsigned: true, default: 0, max: 2, description: 'AMQP delivery mode of published messages: 2 = persistent, 0 or 1 = transient.' },
    prefetchCount: { type: 'int', bits: 8, unsigned: true, default: 0, description: 'Unacknowledged messages a consumer holds (basic.qos; 0 = unlimited).' },
    reconnectWaitSeconds: { type: 'duration', default: '3s', description: 'Wait before reconnecting after the connection or a channel broke.' },
    maxLen: { type: 'int', default: 0, description: '`x-max-length` of the subscription queues and dead-letter queues (0 = unbounded).' },
    maxLenBytes: { type: 'int', default: 0, unit: 'bytes', description: '`x-max-length-bytes` of the subscription queues and dead-letter queues (0 = unbounded).' },
    exchangeKind: { type: 'enum', values: ['fanout', 'topic', 'direct', 'headers'], default: 'fanout', description: 'Kind of the per-topic exchanges.' },
    clientName: { type: 'string', description: 'Connection name shown by the broker (`connection_name` client property).' },
    heartBeat: { type: 'duration', default: '10s', description: 'AMQP heartbeat interval (rounded to whole seconds).' },
    publisherConfirm: { type: 'bool', default: false, description: 'Wait for the broker to confirm each publish (a nack fails the publish).' },
    saslExternal: { type: 'bool', default: false, description: 'Authenticate with SASL EXTERNAL (the client certificate); needs caCert, clientCert and clientKey.' },
    concurrencyMode: {
      type: 'enum',
      values: ['single', 'parallel'],
      default: 'parallel',
      aliases: ['concurrency'],
      support: 'differs',
      note: 'Dapr documents `concurrency` but reads only `concurrencyMode` (pubsub.Concurrency overwrites the decoded field); nest-dapr reads both',
      description: '`parallel` runs the prefetched messages of a queue at once; `single` one at a time, in order.',
    },
    ttlInSeconds: {
      type: 'duration',
      aliases: ['ttl'],
      description: 'Default message TTL (AMQP expiration) of every publish without its own ttlInSeconds; a bare number is seconds.',
    },
    publishMessagePropertiesToMetadata: {
      type: 'bool',
      default: false,
      description: 'Deliver message id, correlation id, type, content type and headers as `metadata.*` metadata.',
    },
    requeueDelay: {
      type: 'duration',
      default: '100ms',
      support: 'extension',
      description: 'Pause before a failed message is requeued, so a handler that keeps failing does not spin the broker.',
    },
    ...TLS_FIELDS,
  },
  subscriptionFields: RABBITMQ_SUBSCRIPTION_FIELDS,
});

/**
 * What one subscription's metadata says, decoded from that metadata alone: Dapr
 * reads these keys from the subscribe request only, never from the component.
 */
export const RABBITMQ_SUBSCRIBE_METADATA = defineMetadata({
  type: 'pubsub.rabbitmq.subscribe',
  title: 'RabbitMQ subscription',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...RABBITMQ_SUBSCRIPTION_FIELDS,
    consumerID: { type: 'string', description: 'Prefix of the queue name (the block sets it: the component consumerID or the app id).' },
  },
});

/** `bindings.rabbitmq`: components-contrib `bindings/rabbitmq/rabbitmq.go` (kitmd.DecodeMetadata). */
export const RABBITMQ_BINDING_METADATA = defineMetadata({
  type: 'bindings.rabbitmq',
  title: 'RabbitMQ (binding)',
  summary:
    'One queue, declared with its settings: `create` publishes to it through the default exchange (persistent, request metadata as headers); the input side consumes it and acks after the app handled a message (a failure requeues it).',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    host: { type: 'string', required: true, sensitive: true, description: 'AMQP URI `amqp[s]://user:pass@host:port/vhost`.' },
    queueName: { type: 'string', required: true, description: 'The queue to publish to and consume.' },
    durable: { type: 'bool', default: false, description: 'Declare the queue durable.' },
    deleteWhenUnused: { type: 'bool', default: false, description: 'Declare the queue auto-delete.' },
    exclusive: { type: 'bool', default: false, description: 'Declare the queue exclusive to this connection.' },
    prefetchCount: { type: 'int', default: 0, min: 0, description: 'Unacknowledged messages the input side holds (0 = unlimited).' },
    maxPriority: { type: 'int', min: 0, unsigned: true, description: '`x-max-priority` of the queue (values above 255 count as 255).' },
    ttl: {
      type: 'duration',
      aliases: ['ttlInSeconds'],
      description: '`x-message-ttl` of the queue; a bare number is seconds.',
    },
    contentType: {
      type: 'string',
      default: 'text/plain',
      support: 'differs',
      note: "Dapr's metadata.yaml lists it, but its code reads contentType only from request metadata; nest-dapr uses the component value as the default",
      description: 'Content type of published messages without a contentType request metadata.',
    },
    reconnectWaitInSeconds: { type: 'duration', default: '5s', description: 'Wait before reconnecting after the connection broke.' },
    requeueDelay: {
      type: 'duration',
      default: '100ms',
      support: 'extension',
      description: 'Pause before a message the app failed to handle is requeued, so a handler that keeps failing does not spin the broker.',
    },
    saslExternal: {
      type: 'bool',
      default: false,
      aliases: ['externalSasl'],
      description: 'Authenticate with SASL EXTERNAL (the client certificate); needs caCert, clientCert and clientKey.',
    },
    ...TLS_FIELDS,
  },
});
