import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { KAFKA_BROKERS, uniqueName, waitFor } from './support/broker-test-utils';

/**
 * Dapr's Kafka certification ordering scenario through the whole stack
 * (PubSubService → pubsub.kafka → @Subscribe handler): 1,000 messages with one
 * partitionKey on a 3-partition topic, two consumer groups, and a handler that
 * fails every 100th message once. Each group must handle every message, in
 * publish order, the failed ones redelivered in place rather than skipped.
 */
const N = 1000;

interface Tally {
  firstSuccesses: number[];
  attempts: Map<number, number>;
}

function consumerFor(topic: string, tally: Tally): Type<unknown> {
  @Injectable()
  class OrderedConsumer {
    @Subscribe({ pubsub: 'kafkaps', topic })
    handle(data: { seq: number }): void {
      const n = (tally.attempts.get(data.seq) ?? 0) + 1;
      tally.attempts.set(data.seq, n);
      if (data.seq % 100 === 99 && n === 1) throw new Error(`simulated failure of #${data.seq}`);
      if (n === 1 || !tally.firstSuccesses.includes(data.seq)) tally.firstSuccesses.push(data.seq);
    }
  }
  return OrderedConsumer;
}

describe('pubsub.kafka ordering under handler failures', () => {
  const apps: INestApplication[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  it(
    `delivers ${N} messages of one partitionKey in order to two consumer groups while every 100th fails once`,
    async () => {
      const run = uniqueName('order');
      const topic = `${run}-events`;
      const component: ComponentDefinition = {
        name: 'kafkaps',
        type: 'pubsub.kafka',
        metadata: {
          brokers: KAFKA_BROKERS,
          initialOffset: 'oldest',
          autoCreateTopics: 'true',
          numPartitions: '3',
          backOffDuration: '10ms',
          heartbeatInterval: '500ms',
        },
      };
      const tallies: Tally[] = [];
      for (const group of ['a', 'b']) {
        const tally: Tally = { firstSuccesses: [], attempts: new Map() };
        tallies.push(tally);
        apps.push(await startApp({ appId: `${run}-${group}`, components: [component], providers: [consumerFor(topic, tally)] }));
      }
      const pubsub = apps[0].get(PubSubService);
      // Awaited chunks keep publish order: one bulk publish is one produce request, in entry order.
      for (let seq = 0; seq < N; seq += 50) {
        const entries = Array.from({ length: 50 }, (_, i) => ({ event: { seq: seq + i } }));
        const res = await pubsub.publishBulk('kafkaps', topic, entries, { metadata: { partitionKey: 'one-key' } });
        expect(res.failedEntries).toEqual([]);
      }
      await waitFor(() => tallies.every((t) => t.firstSuccesses.length >= N), 'both groups to handle every message', 60_000);
      const expected = Array.from({ length: N }, (_, i) => i);
      for (const t of tallies) {
        expect(t.firstSuccesses).toEqual(expected);
        for (let seq = 99; seq < N; seq += 100) expect(t.attempts.get(seq)).toBeGreaterThanOrEqual(2);
      }
    },
    120_000,
  );
});
