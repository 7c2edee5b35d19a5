import { defineMetadata, type DecodedMetadata, type MetadataFields } from '../../spi/kit/metadata';

const NO_PRIVATE_KEY_JWT = 'only for authType oidc_private_key_jwt (a signed client assertion), which is not implemented; authType oidc (client secret) is';
const SARAMA = (what: string) => `a sarama client setting; kafkajs ${what}`;
const NO_SCHEMA_REGISTRY = 'Avro and the schema registry are not implemented';

/**
 * components-contrib `common/component/kafka/metadata.go` (kitmd.DecodeMetadata,
 * except consumeRetryInterval whose bare number is milliseconds, and the
 * `backOff*` message-retry settings, decoded by kit/retry with kit/config rules).
 */
export const KAFKA_FIELDS = {
  brokers: { type: 'string-list', trim: true, required: true, description: 'Comma-separated host:port list.' },
  consumerGroup: { type: 'string', description: 'Consumer group (default: consumerID, then the app id).' },
  clientID: { type: 'string', aliases: ['clientId'], description: 'Client id sent to the brokers (default: the app id).' },
  authType: {
    type: 'enum',
    values: ['none', 'password', 'mtls', 'certificate', 'oidc'],
    unsupportedValues: {
      oidc_private_key_jwt: 'OIDC with a signed client assertion is not implemented; authType oidc (client secret) is',
      awsiam: 'AWS IAM (MSK) authentication is not implemented',
    },
    support: 'differs',
    note: 'Dapr requires authType; nest-dapr defaults it to none (or derives it from the deprecated authRequired, as Dapr does)',
    description: 'none, password (SASL), mtls, certificate or oidc (SASL/OAUTHBEARER with a client-credentials token).',
  },
  authRequired: { type: 'bool', deprecated: 'authType', description: 'Old switch: true means password when saslPassword is set, else mtls.' },
  saslUsername: { type: 'string', description: 'SASL user (authType password).' },
  saslPassword: { type: 'string', sensitive: true, description: 'SASL password (authType password).' },
  saslMechanism: { type: 'string', default: 'PLAINTEXT', description: 'PLAINTEXT/PLAIN, SHA-256 or SHA-512 (SCRAM).' },
  caCert: { type: 'string', description: 'PEM CA of the brokers (and, with authType oidc, of the token endpoint).' },
  clientCert: { type: 'string', description: 'PEM client certificate (authType mtls).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM client key (authType mtls).' },
  skipVerify: { type: 'bool', default: false, description: 'Skip TLS verification of the brokers and the OIDC token endpoint (testing only).' },
  disableTls: { type: 'bool', default: false, description: 'Plain TCP even with authentication.' },
  initialOffset: { type: 'enum', values: ['newest', 'oldest'], default: 'newest', description: 'Where a new consumer group starts.' },
  maxMessageBytes: { type: 'int', default: 0, min: 0, unit: 'bytes', description: 'Largest record accepted for publishing (0: 1,000,000, sarama\'s default).' },
  heartbeatInterval: { type: 'duration', default: '3s', description: 'Consumer group heartbeat.' },
  sessionTimeout: { type: 'duration', default: '10s', description: 'Consumer group session timeout.' },
  producerRequiredAcks: { type: 'enum', values: ['all', 'local', 'none'], default: 'all', description: 'Acknowledgements a publish waits for.' },
  escapeHeaders: { type: 'bool', default: false, description: 'URL-escape header values delivered as metadata.' },
  excludeHeaderMetaRegex: { type: 'string', description: 'Metadata keys matching it are not written as headers (and headers matching it are not delivered).' },
  compression: {
    type: 'enum',
    values: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
    default: 'none',
    note: 'snappy, lz4 and zstd through the optional packages kafkajs-snappy, lz4-napi and @mongodb-js/zstd (prebuilt binaries shipped as npm packages, no build step; @mongodb-js/zstd 1.2.x does so, later majors download their binary at install); consumers read every codec whose package is installed, whatever their own setting',
    description:
      'Compression of published records. gzip is built in; snappy, lz4 and zstd need the optional package kafkajs-snappy, lz4-napi or @mongodb-js/zstd (start-up names the npm install command). Records in any codec are consumed when its package is installed.',
  },
  consumeRetryEnabled: { type: 'bool', default: true, support: 'differs', note: 'a failed message is always retried per the backOff settings and then dead-lettered or redelivered; it is never skipped', description: 'Retry failed messages.' },
  consumeRetryInterval: { type: 'duration', unit: 'ms', nonNegative: true, default: '100ms', support: 'unsupported', note: SARAMA('reconnects consumers with its own retry policy'), description: 'Wait between consumer group reconnects.' },
  backOffPolicy: { type: 'enum', values: ['constant', 'exponential'], default: 'constant', dialect: 'config', description: 'Back-off between retries of a failed message.' },
  backOffDuration: { type: 'duration', default: '5s', dialect: 'config', description: 'Constant back-off.' },
  backOffInitialInterval: { type: 'duration', default: '500ms', dialect: 'config', description: 'First exponential back-off.' },
  backOffMaxInterval: { type: 'duration', default: '60s', dialect: 'config', description: 'Largest exponential back-off.' },
  backOffMultiplier: { type: 'float', default: 1.5, dialect: 'config', description: 'Growth of the exponential back-off.' },
  backOffMaxRetries: {
    type: 'int',
    default: -1,
    dialect: 'config',
    support: 'differs',
    note: 'when retries run out the message goes to the dead-letter topic, or stays to be redelivered; Dapr marks the next offset and so skips it',
    description: 'Retries of a failed message (-1: forever).',
  },
  backOffRandomizationFactor: { type: 'float', default: 0.5, dialect: 'config', support: 'unsupported', note: 'the exponential back-off is not randomised', description: 'Jitter of the exponential back-off.' },
  backOffMaxElapsedTime: { type: 'duration', default: '15m', dialect: 'config', support: 'unsupported', note: 'retries are bounded by backOffMaxRetries only', description: 'Give up retrying after this long.' },
  version: { type: 'string', default: '2.0.0.0', support: 'unsupported', note: SARAMA('negotiates API versions with the broker'), description: 'Kafka protocol version.' },
  channelBufferSize: { type: 'int', default: 256, support: 'unsupported', note: SARAMA('has no such buffer'), description: 'Internal channel size.' },
  consumerFetchMin: { type: 'int', default: 1, support: 'unsupported', note: SARAMA('uses its own fetch sizes'), description: 'Smallest fetch.' },
  consumerFetchDefault: { type: 'int', default: 1048576, support: 'unsupported', note: SARAMA('uses its own fetch sizes'), description: 'Default fetch size.' },
  consumerGroupRebalanceStrategy: { type: 'string', default: 'range', support: 'differs', note: 'always range, as Dapr\'s default', description: 'range, sticky or roundrobin.' },
  clientConnectionTopicMetadataRefreshInterval: { type: 'duration', default: '9m', support: 'unsupported', note: SARAMA('refreshes metadata on its own'), description: 'Topic metadata refresh.' },
  clientConnectionKeepAliveInterval: { type: 'duration', default: '0', support: 'unsupported', note: SARAMA('keeps connections itself'), description: 'Connection keep-alive.' },
  dialTimeout: { type: 'duration', default: '30s', support: 'unsupported', note: SARAMA('uses a 3 s connection timeout'), description: 'TCP connect timeout.' },
  readTimeout: { type: 'duration', default: '30s', support: 'unsupported', note: SARAMA('uses a 30 s request timeout'), description: 'Broker response timeout.' },
  writeTimeout: { type: 'duration', default: '30s', support: 'unsupported', note: SARAMA('uses a 30 s request timeout'), description: 'Request transmit timeout.' },
  metadataTimeout: { type: 'duration', default: '0', support: 'unsupported', note: SARAMA('uses its request timeout'), description: 'Metadata refresh timeout.' },
  producerRetryMax: { type: 'int', default: 5, support: 'unsupported', note: SARAMA('retries sends with its own policy'), description: 'Send retries.' },
  schemaRegistryURL: { type: 'string', support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Schema registry URL.' },
  schemaRegistryAPIKey: { type: 'string', support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Schema registry API key.' },
  schemaRegistryAPISecret: { type: 'string', sensitive: true, support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Schema registry API secret.' },
  schemaCachingEnabled: { type: 'bool', default: true, support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Cache schemas.' },
  schemaLatestVersionCacheTTL: { type: 'duration', default: '5m', support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Schema cache TTL.' },
  useAvroJSON: { type: 'bool', default: false, support: 'unsupported', note: NO_SCHEMA_REGISTRY, description: 'Avro JSON encoding.' },
  oidcTokenEndpoint: { type: 'string', description: 'OAuth 2.0 token endpoint (authType oidc).' },
  oidcClientID: { type: 'string', description: 'OAuth client id (authType oidc).' },
  oidcClientSecret: { type: 'string', sensitive: true, description: 'OAuth client secret (authType oidc).' },
  oidcScopes: { type: 'string', description: 'Comma-separated scopes requested with the token (default: openid, with a warning).' },
  oidcExtensions: { type: 'string', description: 'JSON object of SASL/OAUTHBEARER extensions sent with the token.' },
  oidcClientAssertionCert: { type: 'string', support: 'unsupported', note: NO_PRIVATE_KEY_JWT, description: 'OIDC client assertion certificate.' },
  oidcClientAssertionKey: { type: 'string', sensitive: true, support: 'unsupported', note: NO_PRIVATE_KEY_JWT, description: 'OIDC client assertion key.' },
  oidcResource: { type: 'string', support: 'unsupported', note: NO_PRIVATE_KEY_JWT, description: 'OIDC resource.' },
  oidcAudience: { type: 'string', support: 'unsupported', note: NO_PRIVATE_KEY_JWT, description: 'OIDC audience.' },
  oidcKid: { type: 'string', support: 'unsupported', note: NO_PRIVATE_KEY_JWT, description: 'OIDC key id.' },
  partitionsConsumedConcurrently: { type: 'int', default: 32, min: 1, support: 'extension', description: 'Partitions handled at once (order is kept within a partition).' },
  numPartitions: { type: 'int', default: 0, min: 0, support: 'extension', description: 'Create missing topics with this many partitions.' },
  replicationFactor: { type: 'int', default: 1, min: 1, support: 'extension', description: 'Replication factor of created topics.' },
  autoCreateTopics: { type: 'bool', support: 'extension', description: 'Create missing topics before use (default: when numPartitions is set).' },
} as const satisfies MetadataFields;

/** The component's fields plus the runtime's consumerID, decoded with a subscription's metadata over them. */
export const KAFKA_SUBSCRIBE_METADATA = defineMetadata({
  type: 'pubsub.kafka.subscribe',
  title: 'Kafka subscription',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: { ...KAFKA_FIELDS, consumerID: { type: 'string', description: 'Consumer group when consumerGroup is absent.' } },
});

export type KafkaBackoffMetadata = Pick<
  DecodedMetadata<typeof KAFKA_FIELDS>,
  'backOffPolicy' | 'backOffDuration' | 'backOffInitialInterval' | 'backOffMaxInterval' | 'backOffMultiplier'
>;

export const KAFKA_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.kafka',
  title: 'Apache Kafka',
  summary: "kafkajs with Dapr's record layout: the CloudEvent as value, metadata as headers, partitionKey / __key as record key placed with sarama's FNV-1a partitioner.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: KAFKA_FIELDS,
});

export const KAFKA_BINDING_METADATA = defineMetadata({
  type: 'bindings.kafka',
  title: 'Apache Kafka (binding)',
  summary: 'Output: publish to publishTopic; input: consume topics.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...KAFKA_FIELDS,
    topics: { type: 'string-list', trim: true, description: 'Input: comma-separated topics.' },
    publishTopic: { type: 'string', description: 'Output: the topic.' },
  },
});
