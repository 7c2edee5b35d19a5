import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { describeHostileDelivery } from './hostile-delivery.suite';

/** pubsub.azure.servicebus.topics through the real @azure/service-bus client and the AMQP test peer. */
let peer: ServiceBusTestPeer | undefined;
const started = ServiceBusTestPeer.start({ autoCreate: 'topic' }).then((p) => (peer = p));
afterAll(async () => {
  await started;
  await peer?.close();
});

describeHostileDelivery(
  'pubsub.azure.servicebus.topics (AMQP test peer)',
  async () => ({
    name: 'sbtopics',
    type: 'pubsub.azure.servicebus.topics',
    metadata: { connectionString: (await started).connectionString, disableEntityManagement: 'true', maxDeliveryCount: '10' },
  }),
  { where: /message id \S+/ },
);
