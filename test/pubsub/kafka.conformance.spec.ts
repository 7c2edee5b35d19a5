import { describePubSubConformance } from './pubsub-conformance';
import { KAFKA_BROKERS } from './support/broker-test-utils';

// Topics carry the run id, so `oldest` only ever replays this run's messages
// and no publish can race a consumer group's first join. One partition keeps
// the topic totally ordered, which the suite's in-order check needs; the
// partition split between instances is covered by kafka.pubsub.spec.ts.
describePubSubConformance(
  'pubsub.kafka',
  () => ({
    name: 'kafkaps',
    type: 'pubsub.kafka',
    metadata: {
      brokers: KAFKA_BROKERS,
      authType: 'none',
      initialOffset: 'oldest',
      autoCreateTopics: 'true',
      numPartitions: '1',
      backOffDuration: '100ms',
      // Faster rebalances when the suite's apps join one group one after another.
      heartbeatInterval: '300ms',
    },
  }),
  { checkInOrder: true, competingSplit: false, timeoutMs: 30_000 },
);
