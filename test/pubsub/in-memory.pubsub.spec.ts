import { describePubSubConformance } from './pubsub-conformance';

// Apps of one test share an in-process bus through `busName`.
describePubSubConformance('pubsub.in-memory', ({ runId }) => ({
  name: 'memps',
  type: 'pubsub.in-memory',
  metadata: { busName: `conformance-${runId}`, redeliverInterval: '200ms' },
}));
