import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { describePubSubConformance } from '../pubsub/pubsub-conformance';

/**
 * The shared pub/sub conformance suite over pubsub.azure.servicebus.queues,
 * through the real @azure/service-bus client and the AMQP test peer. Entity
 * management (HTTPS) is off; the peer creates each queue on first use. A
 * queue has no fan-out: all subscribers compete, whatever their app id.
 */
let peer: ServiceBusTestPeer | undefined;
const started = ServiceBusTestPeer.start({ autoCreate: 'queue' }).then((p) => (peer = p));
afterAll(async () => {
  await started;
  await peer?.close();
});

describePubSubConformance(
  'pubsub.azure.servicebus.queues (AMQP test peer)',
  async () => ({
    name: 'sbqueues',
    type: 'pubsub.azure.servicebus.queues',
    metadata: {
      connectionString: (await started).connectionString,
      disableEntityManagement: 'true',
      maxDeliveryCount: '10',
    },
  }),
  // Dapr's conformance config disables the order check for Service Bus; the broker enforces TTL; queues do not fan out.
  { checkInOrder: false, nativeTtl: true, fanOut: false },
);
