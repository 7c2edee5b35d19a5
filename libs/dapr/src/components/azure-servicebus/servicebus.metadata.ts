import { defineMetadata, type MetadataFields } from '../../spi/kit/metadata';

const CREATION_ONLY = 'Used only when nest-dapr creates the subscription or queue.';

/** components-contrib `common/component/azure/servicebus/metadata.go` (kitmd.DecodeMetadata). */
const SERVICEBUS_FIELDS = {
  connectionString: { type: 'string', sensitive: true, description: 'Shared access connection string (or use namespaceName with Entra ID).' },
  namespaceName: { type: 'string', description: 'Namespace for Microsoft Entra ID auth (`<name>.servicebus.windows.net`).' },
  azureTenantId: { type: 'string', description: 'Entra ID tenant of a service principal (with azureClientId, azureClientSecret).' },
  azureClientId: { type: 'string', description: 'Entra ID client id (service principal or managed identity).' },
  azureClientSecret: { type: 'string', sensitive: true, description: 'Entra ID client secret.' },
  azureCertificate: { type: 'string', support: 'unsupported', note: 'certificate credentials are not wired; use a secret or DefaultAzureCredential', description: 'Entra ID client certificate.' },
  azureCertificateFile: { type: 'string', support: 'unsupported', note: 'certificate credentials are not wired; use a secret or DefaultAzureCredential', description: 'Entra ID client certificate file.' },
  azureCertificatePassword: { type: 'string', support: 'unsupported', note: 'certificate credentials are not wired', description: 'Password of the certificate.' },
  azureEnvironment: { type: 'string', support: 'unsupported', note: 'only the public Azure cloud is addressed', description: 'Azure cloud environment.' },
  timeoutInSec: { type: 'int', default: 60, min: 1, unit: 's', description: 'Timeout of sends and management operations.' },
  handlerTimeoutInSec: { type: 'int', default: 60, min: 0, unit: 's', description: 'Timeout of one handler call (0: none).' },
  lockRenewalInSec: { type: 'int', default: 20, min: 0, unit: 's', description: 'How often the locks of in-flight messages are renewed.' },
  maxActiveMessages: { type: 'int', default: 1000, min: 1, description: 'Messages in flight or buffered at once.' },
  maxConcurrentHandlers: { type: 'int', default: 0, min: 0, description: 'Handlers running at once (0: unlimited).' },
  maxRetriableErrorsPerSec: { type: 'int', default: 10, min: 0, description: 'Rate limit after handler errors.' },
  minConnectionRecoveryInSec: { type: 'int', default: 2, unit: 's', support: 'unsupported', note: "the @azure/service-bus SDK reconnects on its own back-off", description: 'Smallest reconnect wait.' },
  maxConnectionRecoveryInSec: { type: 'int', default: 300, unit: 's', support: 'unsupported', note: "the @azure/service-bus SDK reconnects on its own back-off", description: 'Largest reconnect wait.' },
  disableEntityManagement: { type: 'bool', default: false, description: 'Never create topics, subscriptions or queues.' },
  publishMaxRetries: { type: 'int', default: 5, min: 0, description: 'Retries of a throttled send.' },
  publishInitialRetryIntervalInMs: { type: 'int', default: 500, min: 0, unit: 'ms', description: 'First back-off of a throttled send.' },
  maxDeliveryCount: { type: 'int', min: 1, description: `Deliveries before the service dead-letters a message. ${CREATION_ONLY}` },
  lockDurationInSec: { type: 'int', min: 1, unit: 's', description: `Message lock duration. ${CREATION_ONLY}` },
  defaultMessageTimeToLiveInSec: { type: 'int', min: 1, unit: 's', aliases: ['ttlInSeconds'], description: `Default message TTL (alias ttlInSeconds on pub/sub). ${CREATION_ONLY}` },
  autoDeleteOnIdleInSec: { type: 'int', min: 300, unit: 's', description: `Delete the entity after this long idle (≥ 300). ${CREATION_ONLY}` },
} as const satisfies MetadataFields;

/** The fields every Service Bus driver shares, as a schema of their own for the shared connection settings. */
export const SERVICEBUS_CONNECTION_METADATA = defineMetadata({
  type: 'azure.servicebus',
  title: 'Azure Service Bus connection',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: SERVICEBUS_FIELDS,
});

const SUBSCRIPTION_FIELDS = {
  requireSessions: { type: 'bool', default: false, description: 'Receive from a session-enabled subscription.' },
  sessionIdleTimeoutInSec: { type: 'int', default: 60, min: 1, unit: 's', description: 'Release an idle session after this long.' },
  maxConcurrentSessions: { type: 'int', default: 8, min: 1, description: 'Sessions received at once.' },
} as const satisfies MetadataFields;

/** What a subscription may set over the component's metadata (decoded at subscribe time). */
export const SERVICEBUS_SUBSCRIBE_METADATA = defineMetadata({
  type: 'azure.servicebus.subscribe',
  title: 'Azure Service Bus subscription',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: { ...SERVICEBUS_FIELDS, consumerID: { type: 'string', description: 'Subscription name.' }, ...SUBSCRIPTION_FIELDS },
});

export const SERVICEBUS_TOPICS_METADATA = defineMetadata({
  type: 'pubsub.azure.servicebus.topics',
  title: 'Azure Service Bus topics',
  summary: 'Topics with one subscription per consumerID, peek-lock, abandon for redelivery; topics are created bare, subscriptions with the creation-only settings.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: { ...SERVICEBUS_FIELDS, consumerID: { type: 'string', description: 'Subscription name (default: the app id).' } },
  subscriptionFields: SUBSCRIPTION_FIELDS,
});

export const SERVICEBUS_QUEUES_METADATA = defineMetadata({
  type: 'pubsub.azure.servicebus.queues',
  title: 'Azure Service Bus queues',
  summary: 'One queue per topic name; competing consumers; queues are created with the creation-only settings.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: SERVICEBUS_FIELDS,
});

export const SERVICEBUS_QUEUES_BINDING_METADATA = defineMetadata({
  type: 'bindings.azure.servicebusqueues',
  title: 'Azure Service Bus queues (binding)',
  summary: 'Input and output binding on one queue.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...SERVICEBUS_FIELDS,
    queueName: { type: 'string', required: true, description: 'The queue.' },
    ttlInSeconds: { type: 'int', min: 1, unit: 's', description: 'Default TTL of messages sent (output); not an entity setting here.' },
  },
});
