/**
 * The embedded pub/sub drivers against the raw work they wrap, in one process
 * and one run, rounds interleaved (baseline, framework, then framework,
 * baseline, ...) after a warm-up:
 *
 * - sqlite publish: PubSubService.publish (CloudEvent envelope + pubsub.sqlite
 *   INSERT) vs a raw better-sqlite3 prepared INSERT of the same JSON bytes into
 *   an identical table of the same WAL database file;
 * - in-memory publish→handler: PubSubService.publish to pubsub.in-memory and a
 *   @Subscribe handler (envelope, decode, Nest context, settle) vs a raw
 *   EventEmitter carrying the same JSON bytes to a listener that parses them.
 *
 * Reported: messages/s per side, the median per-round ratio (framework/raw)
 * and the added µs per message. Run: `npm run bench:pubsub-embedded`.
 * Env: BENCH_ROUNDS (5), BENCH_ROUND_MS (2000).
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, PubSubService, Subscribe } from 'nest-dapr';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);

const payload = {
  id: 42,
  customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
  items: Array.from({ length: 8 }, (_, n) => ({ sku: `SKU-${n}`, qty: n + 1, price: 9.99 + n })),
  note: 'x'.repeat(400),
};

let handled = 0;

@Injectable()
class Sink {
  @Subscribe({ pubsub: 'mem', topic: 'bench' })
  on(data: unknown): void {
    if (data) handled++;
  }
}

interface Side {
  name: string;
  /** Runs for `ms` and returns the number of messages completed. */
  run(ms: number): Promise<number>;
}

async function timed(ms: number, step: () => Promise<void> | void): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    // Batches of 100 keep the clock out of the loop.
    for (let i = 0; i < 100; i++) await step();
    n += 100;
    // Let asynchronous deliveries run, as a real app's event loop would.
    await new Promise((r) => setImmediate(r));
  }
  return n;
}

async function compare(label: string, raw: Side, framework: Side): Promise<void> {
  await raw.run(ROUND_MS / 2);
  await framework.run(ROUND_MS / 2);
  const ratios: number[] = [];
  const rates: { raw: number[]; fw: number[] } = { raw: [], fw: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [raw, framework] : [framework, raw];
    const got = new Map<Side, number>();
    for (const side of order) got.set(side, (await side.run(ROUND_MS)) / (ROUND_MS / 1000));
    rates.raw.push(got.get(raw)!);
    rates.fw.push(got.get(framework)!);
    ratios.push(got.get(framework)! / got.get(raw)!);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rawRate = med(rates.raw);
  const fwRate = med(rates.fw);
  console.log(
    `${label}: raw ${rawRate.toFixed(0)} msg/s, nest-dapr ${fwRate.toFixed(0)} msg/s, ratio ${med(ratios).toFixed(2)} ` +
      `(worst ${Math.min(...ratios).toFixed(2)}), added ${((1 / fwRate - 1 / rawRate) * 1e6).toFixed(1)} µs/msg`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-bench-ps-'));
  const file = join(dir, 'bench.db');
  @Module({
    imports: [
      DaprModule.forRoot({
        appId: 'pubsubbench',
        components: [
          { name: 'sq', type: 'pubsub.sqlite', metadata: { connectionString: file } },
          { name: 'mem', type: 'pubsub.in-memory' },
        ],
      }),
    ],
    providers: [Sink],
  })
  class BenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const pubsub = app.get(PubSubService);

  // Raw side of the SQLite comparison: the same table shape, same file, same pragmas.
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE raw_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, data BLOB NOT NULL, metadata TEXT, content_type TEXT, published_at INTEGER NOT NULL);' +
      'CREATE INDEX raw_messages_topic_seq ON raw_messages (topic, seq);',
  );
  const insert = db.prepare('INSERT INTO raw_messages (topic, data, metadata, content_type, published_at) VALUES (?, ?, ?, ?, ?)');

  await compare(
    'sqlite publish (1 KB JSON)',
    {
      name: 'raw',
      run: (ms) => timed(ms, () => void insert.run('bench', Buffer.from(JSON.stringify(payload)), null, 'application/json', Date.now())),
    },
    { name: 'nest-dapr', run: (ms) => timed(ms, () => pubsub.publish('sq', 'bench', payload)) },
  );

  // Raw side of the in-memory comparison: an EventEmitter fed by a queue flushed
  // once per tick, the delivery scheme of pubsub.in-memory.
  const bus = new EventEmitter();
  let rawHandled = 0;
  bus.on('bench', (bytes: Buffer) => {
    if (JSON.parse(bytes.toString('utf8'))) rawHandled++;
  });
  const queue: Buffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const b of queue.splice(0)) bus.emit('bench', b);
  };
  const untilHandled = async (counter: () => number, target: number) => {
    while (counter() < target) await new Promise((r) => setImmediate(r));
  };
  await compare(
    'in-memory publish→handler (1 KB JSON)',
    {
      name: 'raw',
      run: async (ms) => {
        const start = rawHandled;
        const sent = await timed(ms, async () => {
          queue.push(Buffer.from(JSON.stringify(payload)));
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        });
        await untilHandled(() => rawHandled - start, sent);
        return sent;
      },
    },
    {
      name: 'nest-dapr',
      run: async (ms) => {
        const start = handled;
        const sent = await timed(ms, () => pubsub.publish('mem', 'bench', payload));
        await untilHandled(() => handled - start, sent);
        return sent;
      },
    },
  );

  db.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
