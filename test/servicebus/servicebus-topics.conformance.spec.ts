import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { describePubSubConformance } from '../pubsub/pubsub-conformance';

/**
 * The shared pub/sub conformance suite over pubsub.azure.servicebus.topics,
 * through the real @azure/service-bus client and the AMQP test peer. Entity
 * management (HTTPS) is off; the peer creates topics on first use and each
 * subscription (= consumerID, the app id) when its receiver attaches, which
 * the driver waits for before subscribe() returns.
 */
let peer: ServiceBusTestPeer | undefined;
const started = ServiceBusTestPeer.start({ autoCreate: 'topic' }).then((p) => (peer = p));
afterAll(async () => {
  await started;
  await peer?.close();
});

describePubSubConformance(
  'pubsub.azure.servicebus.topics (AMQP test peer)',
  async () => ({
    name: 'sbtopics',
    type: 'pubsub.azure.servicebus.topics',
    metadata: {
      connectionString: (await started).connectionString,
      disableEntityManagement: 'true',
      maxDeliveryCount: '10',
    },
  }),
  // Dapr's conformance config disables the order check for Service Bus; the broker enforces TTL.
  { checkInOrder: false, nativeTtl: true },
);
