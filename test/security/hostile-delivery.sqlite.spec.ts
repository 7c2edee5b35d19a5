import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Injectable } from '@nestjs/common';
import { Subscribe } from 'nest-dapr';
import { waitFor } from '../pubsub/pubsub-test-kit';
import { describeHostileDelivery } from './hostile-delivery.suite';

const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-hostile-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (runId: string) => join(dir, `hostile-${runId}.db`);

describeHostileDelivery(
  'pubsub.sqlite',
  ({ runId }) => ({
    name: 'sqliteps',
    type: 'pubsub.sqlite',
    metadata: { connectionString: file(runId), pollInterval: '20ms', redeliverInterval: '200ms', visibilityTimeout: '5s' },
  }),
  {
    where: /message id \d+/,
    extra: (ctx) => {
      it('reads a row whose metadata another process corrupted, and keeps consuming', async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-rows');
        const handled: unknown[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown) {
            handled.push(data);
          }
        }
        await ctx.app('hostile-rows', [Handlers]);
        // Whoever can write the shared file can write anything into it.
        const db = new Database(file(ctx.runId()));
        const insert = db.prepare('INSERT INTO pubsub_messages (topic, data, metadata, content_type, published_at) VALUES (?, ?, ?, ?, ?)');
        const ce = (n: number) => Buffer.from(JSON.stringify({ id: `e${n}`, specversion: '1.0', data: { n } }));
        insert.run(t, ce(1), 'not json', 'application/json', Date.now());
        insert.run(t, ce(2), 'null', 'application/json', Date.now());
        insert.run(t, ce(3), '{"traceparent":{"x":1},"k":"v"}', 'application/json', Date.now());
        db.close();
        await waitFor(() => handled.length >= 3, () => `3 deliveries, got ${handled.length}`, ctx.timeoutMs);
        expect(handled).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      });
    },
  },
);
