import { Injectable } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { Subscribe } from 'nest-dapr';
import { KAFKA_BROKERS } from '../pubsub/support/broker-test-utils';
import { waitFor } from '../pubsub/pubsub-test-kit';
import { describeHostileDelivery } from './hostile-delivery.suite';

// One partition: a record that blocked would block everything after it, which is what these tests look for.
describeHostileDelivery(
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
      heartbeatInterval: '300ms',
    },
  }),
  {
    where: /partition \d+, offset \d+/,
    timeoutMs: 30_000,
    extra: (ctx) => {
      it('moves past records another producer wrote (tombstone, garbage, odd headers) to the valid one', async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-records');
        const handled: unknown[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown) {
            handled.push(data);
          }
        }
        await ctx.app('hostile-records', [Handlers]);
        const kafka = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        await producer.connect();
        try {
          await producer.send({
            topic: t,
            messages: [
              { value: null },
              { value: Buffer.from([0xff, 0xfe, 0x00]) },
              { value: '{"data_base64":{"length":100000000}}', headers: { traceparent: Buffer.from([0xff]) } },
              { value: JSON.stringify({ id: 'ok', specversion: '1.0', data: { ok: true } }) },
            ],
          });
          await waitFor(() => handled.length >= 1, 'the valid record', ctx.timeoutMs);
          expect(handled).toEqual([{ ok: true }]);
          expect(ctx.errors().filter((e) => e.includes(`topic ${t}`))).toHaveLength(3);
        } finally {
          await producer.disconnect();
        }
      }, 90_000);
    },
  },
);
