import { Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Subscribe } from 'nest-dapr';
import { REDIS_HOST } from '../pubsub/support/broker-test-utils';
import { waitFor } from '../pubsub/pubsub-test-kit';
import { describeHostileDelivery } from './hostile-delivery.suite';

describeHostileDelivery(
  'pubsub.redis',
  () => ({
    name: 'redisps',
    type: 'pubsub.redis',
    metadata: { redisHost: REDIS_HOST, processingTimeout: '1s', redeliverInterval: '200ms', concurrency: '2' },
  }),
  {
    where: /message id \d+-\d+/,
    extra: (ctx) => {
      it('consumes stream entries whose fields are garbage (metadata null, not JSON, an array; no data field) and keeps going', async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-entries');
        const handled: unknown[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown) {
            handled.push(data);
          }
        }
        await ctx.app('hostile-entries', [Handlers]);
        const [host, port] = REDIS_HOST.split(':');
        const redis = new Redis({ host, port: Number(port) });
        try {
          const ce = (n: number) => JSON.stringify({ id: `e${n}`, specversion: '1.0', data: { n } });
          await redis.xadd(t, '*', 'data', ce(1), 'metadata', 'null');
          await redis.xadd(t, '*', 'data', ce(2), 'metadata', 'not json');
          await redis.xadd(t, '*', 'data', ce(3), 'metadata', '[1,2]');
          await redis.xadd(t, '*', 'metadata', '{}');
          await redis.xadd(t, '*', 'data', '{"data_base64":12}', 'metadata', '{}');
          await redis.xadd(t, '*', 'data', ce(4), 'metadata', '{"traceparent":{"a":1}}');
          await waitFor(() => handled.length >= 4, () => `4 deliveries, got ${handled.length}`, ctx.timeoutMs);
          expect(handled).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]));
          // The two undecodable entries are acked, not left pending for ever.
          await waitFor(() => ctx.errors().filter((e) => e.includes(`topic ${t}`)).length >= 2, 'two undecodable entries logged', ctx.timeoutMs);
          const pending = (await redis.xpending(t, 'hostile-entries')) as [number, ...unknown[]];
          expect(pending[0]).toBe(0);
        } finally {
          redis.disconnect();
        }
      });
    },
  },
);
