import { describePubSubConformance } from './pubsub-conformance';
import { deleteStreams, NATS_URL } from './support/nats-test-utils';

// Every topic gets its own stream, created on first use (autoCreateStream; Dapr
// expects streams to exist) and named after the topic, which carries the run
// id. One stream per topic matters for dead-lettering: the dead letter keeps
// the CloudEvent id, which is the Nats-Msg-Id, so on the topic's own stream it
// would be dropped as a duplicate (as with Dapr). Consumers are ephemeral (no
// durableName: Dapr's default), so instances of one app each receive all of a
// topic; competing consumers (durableName + queueGroupName) are covered by
// jetstream.pubsub.spec.ts. A short ackWait makes RETRY redeliver quickly
// (Dapr naks with ackWait as the delay).
const runs = new Set<string>();

describePubSubConformance(
  'pubsub.jetstream',
  ({ runId }) => {
    runs.add(runId);
    return {
      name: 'jsps',
      type: 'pubsub.jetstream',
      metadata: { natsURL: NATS_URL, autoCreateStream: 'true', ackWait: '1s' },
    };
  },
  { checkInOrder: true, competingSplit: false },
);

afterAll(() => deleteStreams((name) => [...runs].some((run) => name.endsWith(`-${run}`))));
