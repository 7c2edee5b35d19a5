import { defineMetadata, type MetadataFields } from '../../spi/kit/metadata';

/**
 * TLS fields of both MQTT components (components-contrib `pubsub/tls.go`
 * and `bindings/mqtt3/metadata.go`): PEM text, each checked to hold a PEM
 * block at start-up.
 */
const MQTT_TLS_FIELDS = {
  caCert: { type: 'string', description: 'PEM CA certificate the broker certificate is verified against.' },
  clientCert: { type: 'string', description: 'PEM client certificate (mutual TLS; needs clientKey).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of clientCert.' },
} as const satisfies MetadataFields;

const SUBSCRIPTION_FIELDS = {
  unsubscribeOnClose: { type: 'bool', default: false, description: 'Send UNSUBSCRIBE when the subscription stops (always done with cleanSession).' },
} as const satisfies MetadataFields;

const URL_FIELD = {
  type: 'string',
  required: true,
  sensitive: true,
  description:
    'Broker address `tcp://[user[:password]@]host[:port]`; `ssl://` (or `mqtts://`, `tcps://`, `tls://`) for TLS, `ws://` / `wss://` for WebSockets.',
} as const;

export const MQTT3_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.mqtt3',
  title: 'MQTT 3.1.1',
  summary:
    "Dapr's `pubsub.mqtt3` on mqtt.js: one MQTT 3.1.1 connection whose client id is `consumerID`, CloudEvents as the PUBLISH payload, wildcard (`+`, `#`) and shared (`$share/<group>/<topic>`) subscriptions; a message is acknowledged only after its handler succeeded.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    url: URL_FIELD,
    consumerID: { type: 'string', description: 'MQTT client id of the connection (default: the app id); a second connection with the same id takes the session over.' },
    qos: { type: 'int', bits: 8, unsigned: true, default: 1, max: 2, support: 'differs', note: 'Dapr accepts values up to 7, which no MQTT broker accepts; nest-dapr refuses them at start-up', description: 'QoS of every publish and subscription (0, 1 or 2).' },
    retain: { type: 'bool', default: false, description: 'Publish with the retain flag (request metadata `retain` overrides it).' },
    cleanSession: { type: 'bool', default: false, description: 'Connect with a clean session; false keeps subscriptions and unacknowledged messages across reconnects.' },
    ...MQTT_TLS_FIELDS,
  },
  subscriptionFields: SUBSCRIPTION_FIELDS,
});

/** What a subscription's metadata may set (decoded at subscribe time, dapr/kit `IsTruthy`). */
export const MQTT3_SUBSCRIBE_METADATA = defineMetadata({
  type: 'pubsub.mqtt3.subscribe',
  title: 'MQTT 3.1.1 subscription',
  summary: '',
  dialect: 'metadata',
  origin: 'dapr',
  fields: SUBSCRIPTION_FIELDS,
});

export const MQTT3_BINDING_METADATA = defineMetadata({
  type: 'bindings.mqtt3',
  title: 'MQTT 3.1.1 (input/output binding)',
  summary:
    'Input: subscribes to `topic` on its own connection (client id `<consumerID>-consumer`) and acknowledges after the handler succeeded; output `create`: publishes to `topic` (request metadata `topic` overrides it) on a connection with client id `<consumerID>-producer`, QoS 1.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    url: URL_FIELD,
    topic: { type: 'string', required: true, description: 'Topic read from (input) and published to by default (output).' },
    consumerID: { type: 'string', required: true, description: 'Base of the client ids (`-consumer` / `-producer` are appended).' },
    retain: { type: 'bool', default: false, description: 'Publish with the retain flag.' },
    cleanSession: { type: 'bool', default: false, description: 'Connect with a clean session.' },
    backOffMaxRetries: { type: 'int', default: 0, description: 'Input: retries of a failed event, 5 s apart, before it is left unacknowledged (-1: retry for ever).' },
    qos: { type: 'string', description: 'Deprecated and ignored, as in Dapr (a warning is logged): the binding always uses QoS 1.' },
    ...MQTT_TLS_FIELDS,
  },
});
