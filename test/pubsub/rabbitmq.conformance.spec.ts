import { describePubSubConformance } from './pubsub-conformance';
import { RABBITMQ_URL } from './support/broker-test-utils';

// Dapr's topology with its defaults (fanout exchange per topic, auto-delete
// queue `<consumerID>-<topic>`); topics carry the run id. RabbitMQ does not
// keep order across redeliveries of a shared queue, as Dapr's conformance
// config says (checkInOrderProcessing false). The broker enforces TTL.
describePubSubConformance(
  'pubsub.rabbitmq',
  () => ({
    name: 'rabbitps',
    type: 'pubsub.rabbitmq',
    metadata: {
      connectionString: RABBITMQ_URL,
      prefetchCount: '20',
      reconnectWaitSeconds: '1',
    },
  }),
  { checkInOrder: false, nativeTtl: true },
);
