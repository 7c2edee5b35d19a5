import type { INestApplication } from '@nestjs/common';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect as amqpConnect } from 'amqplib';
import { PubSubService, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { KAFKA_BROKERS, RABBITMQ_URL, REDIS_HOST, uniqueName, waitFor } from './support/broker-test-utils';
import { exited, linesOf, startChildConsumer } from './support/child-consumer';
import { deleteStreams, NATS_URL } from './support/nats-test-utils';

/**
 * At-least-once under a crash: a consumer process is SIGKILLed in the middle
 * of a stream (some messages handled, some in flight, some not yet read);
 * after a restart with the same app id every published message has been
 * handled at least once. Kafka replays from the last committed offset; Redis
 * reclaims the dead consumer's pending entries after processingTimeout;
 * JetStream redelivers the durable consumer's unacked messages after ackWait.
 */
const N = 300;

const brokers: { label: string; component: (run: string) => ComponentDefinition; cleanup?: (topic: string) => Promise<void> }[] = [
  {
    label: 'pubsub.kafka',
    component: () => ({
      name: 'ps',
      type: 'pubsub.kafka',
      metadata: {
        brokers: KAFKA_BROKERS,
        initialOffset: 'oldest',
        autoCreateTopics: 'true',
        numPartitions: '2',
        // The broker's minimum: a killed member is dropped from the group quickly.
        sessionTimeout: '6s',
        heartbeatInterval: '500ms',
      },
    }),
  },
  {
    label: 'pubsub.redis',
    component: () => ({
      name: 'ps',
      type: 'pubsub.redis',
      metadata: { redisHost: REDIS_HOST, processingTimeout: '1s', redeliverInterval: '250ms', concurrency: '4' },
    }),
    cleanup: async (topic) => {
      const redis = new Redis(REDIS_HOST);
      await redis.del(topic);
      await redis.quit();
    },
  },
  {
    label: 'pubsub.jetstream',
    // A durable consumer (named per run) outlives the killed process; what it
    // had delivered but not acked comes again after ackWait.
    component: (run) => ({
      name: 'ps',
      type: 'pubsub.jetstream',
      metadata: { natsURL: NATS_URL, autoCreateStream: 'true', durableName: `${run}-durable`, ackWait: '1s', concurrency: 'parallel' },
    }),
    // autoCreateStream named the stream after the topic.
    cleanup: (topic) => deleteStreams(topic),
  },
  {
    // The queue must outlive its consumer (deletedWhenUnused=false, as for any Dapr app that
    // must not lose messages while it is down); the broker requeues what the killed process held.
    label: 'pubsub.rabbitmq',
    component: () => ({
      name: 'ps',
      type: 'pubsub.rabbitmq',
      metadata: { connectionString: RABBITMQ_URL, deletedWhenUnused: 'false', prefetchCount: '20' },
    }),
    cleanup: async (topic) => {
      const conn = await amqpConnect(RABBITMQ_URL);
      const ch = await conn.createChannel();
      await ch.deleteQueue(`${topic.replace(/-orders$/, '')}-consumer-${topic}`);
      await ch.deleteExchange(topic);
      await conn.close();
    },
  },
];

describe.each(brokers)('$label: at-least-once when the consumer process is killed', ({ component, cleanup }) => {
  let dir: string;
  let publisher: INestApplication | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-crash-'));
  });

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    children.length = 0;
    await publisher?.close();
    publisher = undefined;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    `handles every one of ${N} messages after a SIGKILL mid-stream and a restart`,
    async () => {
      const run = uniqueName('crash');
      const topic = `${run}-orders`;
      const appId = `${run}-consumer`;
      const def = component(run);
      const out = join(dir, `${run}.log`);
      try {
        publisher = await startApp({ appId: `${run}-publisher`, components: [def] });
        const pubsub = publisher.get(PubSubService);

        const first = await startChildConsumer({ appId, topic, out, component: def, delayMs: 10 });
        children.push(first);
        for (let i = 0; i < N; i++) await pubsub.publish('ps', topic, `m${i}`);

        await waitFor(() => linesOf(out).length >= 40, 'the first consumer to handle some messages', 30_000);
        first.kill('SIGKILL');
        await exited(first);
        const handledBeforeCrash = new Set(linesOf(out));
        // The crash really happened mid-stream.
        expect(handledBeforeCrash.size).toBeLessThan(N);

        const second = await startChildConsumer({ appId, topic, out, component: def });
        children.push(second);
        const expected = Array.from({ length: N }, (_, i) => `m${i}`);
        await waitFor(
          () => {
            const seen = new Set(linesOf(out));
            return expected.every((m) => seen.has(m));
          },
          'every message handled at least once',
          45_000,
        );
      } finally {
        await cleanup?.(topic);
      }
    },
    120_000,
  );
});
