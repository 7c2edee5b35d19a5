import { randomBytes } from 'node:crypto';
import { describePubSubConformance } from './pubsub-conformance';
import { MQTT_URL } from './support/mqtt-test-utils';

/*
 * MQTT 3.1.1 has no consumer groups: Dapr's consumerID is the connection's
 * client id, and a second connection with the same id takes the session over
 * (the broker drops the first). Two instances of one app therefore cannot
 * share a topic the way the suite's "competing consumers" scenario expects
 * (Dapr's own mqtt3 conformance config runs no such scenario); MQTT shares a
 * topic through `$share/<group>/<topic>` shared subscriptions instead, which
 * mqtt.pubsub.spec.ts covers. So each app instance gets its own client id
 * here, and the scenario checks only that every instance's messages arrive
 * (competingSplit: false). Every other scenario runs unchanged, in order.
 */
describePubSubConformance(
  'pubsub.mqtt3',
  ({ appId }) => ({
    name: 'mqttps',
    type: 'pubsub.mqtt3',
    metadata: {
      url: MQTT_URL,
      consumerID: `${appId}-${randomBytes(4).toString('hex')}`,
      // A fresh client id per app: nothing of a previous session to resume.
      cleanSession: 'true',
    },
  }),
  { checkInOrder: true, competingSplit: false },
);
