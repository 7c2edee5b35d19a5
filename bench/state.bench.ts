/**
 * StateService.get/save vs the raw client doing the identical commands, in one
 * process and one run (reference/performance-anchors.md §9.1):
 * - each side has its own client/pool with the same options, against the same server;
 * - after a warm-up, each round alternates baseline and framework in 250 ms slices
 *   (A B B A ...) so both see the same background load;
 * - 16 operations in flight (closed loop), 1 KB JSON values;
 * - reported: ops/s, CPU µs per op, the median of per-round ratios and the worst round.
 *
 * Run: `npm run bench:state` (optionally `taskset -c 1 npm run bench:state` with the
 * servers on core 0). Env: BENCH_ROUNDS (5), BENCH_ROUND_MS (3000), BENCH_INFLIGHT (16),
 * BENCH_PG_URL, BENCH_REDIS_HOST, BENCH_ONLY=pg|redis.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { DaprModule, StateService, type ComponentDefinition } from 'nest-dapr';
import { BUILTIN_DRIVERS } from '../libs/dapr/src/components/builtin-drivers';
import { pgStateBaseline } from './state.pg-baseline';
import { redisStateBaseline } from './state.redis-baseline';
import { runComparison, printSummary, type Comparison, type ComparisonResult } from './state.harness';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 16);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_HOST = process.env.BENCH_REDIS_HOST ?? '127.0.0.1:6379';
const ONLY = process.env.BENCH_ONLY;
const APP_ID = 'statebench';
const KEYS = 1000;

/** A ~1 KB JSON document, the payload of Dapr's own state perf tests. */
function payload(i: number): Record<string, unknown> {
  return {
    id: i,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    items: Array.from({ length: 8 }, (_, n) => ({ sku: `SKU-${i}-${n}`, qty: n + 1, price: 9.99 + n })),
    note: randomBytes(300).toString('base64').slice(0, 400),
  };
}

async function main(): Promise<void> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const tableName = `bench_state_${suffix}`;
  const metadataTableName = `bench_md_${suffix}`;
  const redisPrefix = `bench-${suffix}`;
  const wantPg = !ONLY || ONLY === 'pg';
  // The Redis state driver may not be part of this build yet.
  const wantRedis = (!ONLY || ONLY === 'redis') && BUILTIN_DRIVERS.some((d) => d.type === 'state.redis');

  const components: ComponentDefinition[] = [];
  if (wantPg) {
    components.push({
      name: 'pg',
      type: 'state.postgresql',
      // Pool max 8 on both sides (S4); no collector during the run.
      metadata: { connectionString: PG_URL, tableName, metadataTableName, maxConns: '8', cleanupInterval: '0' },
    });
  }
  if (wantRedis) {
    components.push({ name: 'redis', type: 'state.redis', metadata: { redisHost: REDIS_HOST, keyPrefix: redisPrefix } });
  }

  @Module({ imports: [DaprModule.forRoot({ appId: APP_ID, components })] })
  class BenchModule {}

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const state = app.get(StateService);
  const results: ComparisonResult[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const values = Array.from({ length: KEYS }, (_, i) => payload(i));
  const key = (i: number) => `k${i % KEYS}`;

  try {
    const comparisons: Comparison[] = [];
    if (wantPg) {
      const raw = await pgStateBaseline({ url: PG_URL, table: tableName, max: 8 });
      cleanups.push(async () => {
        await raw.dropTables([tableName, metadataTableName]);
        await raw.close();
      });
      // Reads go to keys both sides see; writes to disjoint keys so neither waits on the other's row locks.
      for (let i = 0; i < KEYS; i++) await state.save('pg', { key: key(i), value: values[i] });
      comparisons.push(
        {
          name: 'PostgreSQL get (S4)',
          baseline: (i) => raw.get(`${APP_ID}||${key(i)}`),
          candidate: (i) => state.get('pg', key(i)),
        },
        {
          name: 'PostgreSQL save (S5)',
          baseline: (i) => raw.save(`${APP_ID}||raw-${key(i)}`, values[i % KEYS]),
          candidate: (i) => state.save('pg', { key: `fw-${key(i)}`, value: values[i % KEYS] }),
        },
      );
    }
    if (wantRedis) {
      const raw = await redisStateBaseline({ host: REDIS_HOST });
      cleanups.push(async () => {
        await raw.deletePrefix(`${redisPrefix}||`);
        await raw.close();
      });
      for (let i = 0; i < KEYS; i++) await state.save('redis', { key: key(i), value: values[i] });
      // Redis caches scripts by SHA-1: if the driver's script were a different text, the baseline would not be equivalent.
      if (!(await raw.sameScriptAsDriver())) console.warn('WARNING: the baseline set script differs from the state.redis driver script');
      comparisons.push(
        {
          name: 'Redis get (S1)',
          baseline: (i) => raw.get(`${redisPrefix}||${key(i)}`),
          candidate: (i) => state.get('redis', key(i)),
        },
        {
          name: 'Redis save (S3)',
          baseline: (i) => raw.save(`${redisPrefix}||raw-${key(i)}`, values[i % KEYS]),
          candidate: (i) => state.save('redis', { key: `fw-${key(i)}`, value: values[i % KEYS] }),
        },
      );
    } else if (!ONLY || ONLY === 'redis') {
      console.log('state.redis is not registered in this build: Redis comparisons skipped.');
    }

    for (const c of comparisons) {
      results.push(await runComparison(c, { rounds: ROUNDS, roundMs: ROUND_MS, inflight: INFLIGHT }));
    }
    printSummary(results, { rounds: ROUNDS, roundMs: ROUND_MS, inflight: INFLIGHT });
  } finally {
    await app.close();
    for (const c of cleanups) await c().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
