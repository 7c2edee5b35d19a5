/**
 * A process of the lock race test: a Nest app with DaprModule and one lock
 * component (LOCK_TYPE, LOCK_METADATA as JSON), which runs CONTENDERS
 * contenders on one RESOURCE. Each contender tries the lock (a fresh owner id
 * per attempt, as Dapr recommends) until it got it ACQUIRES times; while it
 * holds the lock it INCRs a Redis counter (COUNTER_KEY, the race's shared
 * witness: more than one holder would push it above 1), records its holding
 * interval on the machine's clock, waits HOLD_MS, DECRs and unlocks.
 * Prints one JSON line: the intervals, the counter's maximum as this process
 * saw it, and any unlock that did not answer SUCCESS.
 *
 * MODE=hold: takes the lock once with EXPIRY seconds, prints `HELD <epoch ms>`
 * and waits to be killed without unlocking.
 */
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { DaprModule, LockService } from 'nest-dapr';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const store = 'racelock';
  const app = await NestFactory.createApplicationContext(
    DaprModule.forRoot({ appId: env('APP_ID'), components: [{ name: store, type: env('LOCK_TYPE'), metadata: JSON.parse(env('LOCK_METADATA')) as Record<string, string> }] }),
    { logger: ['error', 'warn'] },
  );
  const lock = app.get(LockService);
  const resource = env('RESOURCE');

  if (env('MODE', 'race') === 'hold') {
    for (;;) {
      if ((await lock.lock(store, resource, `holder-${process.pid}`, Number(env('EXPIRY')))).success) break;
      await sleep(5);
    }
    process.stdout.write(`HELD ${Date.now()}\n`);
    await new Promise(() => undefined);
  }

  const redis = new Redis(env('REDIS_URL', 'redis://127.0.0.1:6379'));
  const counterKey = env('COUNTER_KEY');
  const contenders = Number(env('CONTENDERS'));
  const acquires = Number(env('ACQUIRES'));
  const holdMs = Number(env('HOLD_MS'));
  const deadline = Date.now() + Number(env('DEADLINE_MS', '120000'));
  const intervals: [number, number, string][] = [];
  const badUnlocks: string[] = [];
  let maxHolders = 0;
  let attempts = 0;

  const contender = async (i: number) => {
    for (let got = 0, round = 0; got < acquires && Date.now() < deadline; round++) {
      const owner = `${process.pid}-${i}-${round}`;
      attempts++;
      if (!(await lock.lock(store, resource, owner, 30)).success) {
        await sleep(Math.random() * 4);
        continue;
      }
      const start = now();
      const holders = await redis.incr(counterKey);
      maxHolders = Math.max(maxHolders, holders);
      await sleep(holdMs);
      await redis.decr(counterKey);
      const end = now();
      intervals.push([start, end, owner]);
      const { status } = await lock.unlock(store, resource, owner);
      if (status !== 'SUCCESS') badUnlocks.push(`${owner}: ${status}`);
      got++;
    }
  };
  await Promise.all(Array.from({ length: contenders }, (_, i) => contender(i)));
  process.stdout.write(JSON.stringify({ intervals, maxHolders, badUnlocks, attempts }) + '\n');
  redis.disconnect();
  await app.close();
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? String(err)}\n`);
  process.exit(1);
});
