import { describeHostileDelivery } from './hostile-delivery.suite';

describeHostileDelivery(
  'pubsub.in-memory',
  ({ runId }) => ({ name: 'memps', type: 'pubsub.in-memory', metadata: { busName: `hostile-${runId}`, redeliverInterval: '200ms' } }),
  { where: /message id \S+/ },
);
