import { describePubSubConformance } from './pubsub-conformance';
import { REDIS_HOST } from './support/broker-test-utils';

// Streams carry the run id; redelivery timings are shortened so RETRY and
// crash scenarios finish quickly (Dapr's defaults are 60 s / 15 s).
describePubSubConformance(
  'pubsub.redis',
  () => ({
    name: 'redisps',
    type: 'pubsub.redis',
    metadata: {
      redisHost: REDIS_HOST,
      processingTimeout: '1s',
      redeliverInterval: '200ms',
      maxLenApprox: '10000',
      concurrency: '2',
    },
  }),
  { checkInOrder: false },
);
