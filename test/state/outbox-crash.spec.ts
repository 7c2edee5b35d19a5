import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DaprModule, StateService, type ComponentDefinition } from 'nest-dapr';
import type { PubSubDriver, SubscriptionHandle } from 'nest-dapr/spi';
import { ComponentRuntime } from '../../libs/dapr/src/runtime/component-runtime';
import { dropTables, PG_URL, rawClient, uniqueTables } from './postgresql-support';

/**
 * The transactional outbox under SIGKILL. A child process (fixtures/outbox-crash.app.ts: the runtime
 * in a Nest application context, no HTTP server) runs outbox transactions in a loop and relays its own
 * events; the test kills it at random moments — some right after a commit it reported, so the kill
 * falls between the commit and the publish or during the publish — and starts the next one,
 * OUTBOX_CRASH_KILLS times in all (default 200, shared by the stores). Then a relay of the same app
 * drains what is left, and the test checks, against the store itself: every committed upsert was delivered (at least once), and nothing was delivered
 * for a transaction that failed on a stale ETag or never committed.
 */
/** SIGKILLs in all, shared by the stores (PostgreSQL and Redis 40 % each, SQLite 20 %). */
const TOTAL_KILLS = Number(process.env.OUTBOX_CRASH_KILLS ?? 200);
/** Children running at once (each in its own range of keys). */
const LANES = Number(process.env.OUTBOX_CRASH_LANES ?? 2);
const root = join(__dirname, '..', '..');
const script = join(__dirname, 'fixtures', 'outbox-crash.app.ts');
const register = join(root, 'test', 'support', 'swc-register.js');

interface Scenario {
  name: string;
  /** This store's share of TOTAL_KILLS. */
  share: number;
  state: (run: string, dir: string) => ComponentDefinition;
  pubsub: (run: string, dir: string) => ComponentDefinition;
  cleanup?: (state: ComponentDefinition) => Promise<void>;
}

const redisStreams = (): ComponentDefinition => ({
  name: 'ps',
  type: 'pubsub.redis',
  // A killed consumer's pending entries are claimed again after 2 s.
  metadata: { redisHost: '127.0.0.1:6379', processingTimeout: '2s', redeliverInterval: '500ms', concurrency: '500', queueDepth: '500' },
});

const scenarios: Scenario[] = [
  {
    name: 'PostgreSQL state, Redis Streams pub/sub',
    share: 0.4,
    state: () => ({ name: 'store', type: 'state.postgresql', metadata: { connectionString: PG_URL, ...uniqueTables('outbox') } }),
    pubsub: redisStreams,
    cleanup: async (state) => {
      const md = state.metadata as Record<string, string>;
      const pg = await rawClient();
      await dropTables(pg, md.tableName, md.metadataTableName).finally(() => pg.end());
    },
  },
  {
    name: 'Redis state, Redis Streams pub/sub',
    share: 0.4,
    state: () => ({ name: 'store', type: 'state.redis', metadata: { redisHost: '127.0.0.1:6379' } }),
    pubsub: redisStreams,
  },
  {
    name: 'SQLite state, SQLite queue pub/sub',
    share: 0.2,
    state: (_run, dir) => ({ name: 'store', type: 'state.sqlite', metadata: { connectionString: join(dir, 'state.db') } }),
    pubsub: (_run, dir) => ({
      name: 'ps',
      type: 'pubsub.sqlite',
      metadata: { connectionString: join(dir, 'queue.db'), visibilityTimeout: '2s', redeliverInterval: '200ms', concurrency: '500' },
    }),
  },
];

describe.each(scenarios)('outbox crash loop: $name', (scenario) => {
  const KILLS = Math.max(1, Math.round(TOTAL_KILLS * scenario.share));
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const appId = `oxc-${run}`;
  const topic = `orders-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
  const state = scenario.state(run, dir);
  const pubsub = scenario.pubsub(run, dir);
  const components: ComponentDefinition[] = [
    // Internal messages of transactions that never committed (killed before the commit, or stale) are
    // dropped once Dapr's wait for their marker is over; with the default they would be retried for
    // ever and, past the subscription's concurrency, hold up the rest. A committed transaction's marker
    // is there from its commit on, so dropping never loses one of its events — the test would see it.
    {
      ...state,
      metadata: { ...state.metadata, outboxPublishPubsub: 'ps', outboxPublishTopic: topic, outboxDiscardWhenMissingState: 'true' },
    },
    pubsub,
  ];
  const delivered = new Map<string, number>();
  let sink: INestApplicationContext | undefined;
  let sinkSub: SubscriptionHandle | undefined;
  let relay: INestApplicationContext | undefined;

  afterAll(async () => {
    await sinkSub?.stop().catch(() => undefined);
    await relay?.close().catch(() => undefined);
    await sink?.close().catch(() => undefined);
    await scenario.cleanup?.(state).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`every committed upsert is delivered, nothing else is, across ${KILLS} SIGKILLs`, async () => {
    // The subscriber of the user topic: its own consumer group, counting every delivery.
    sink = await context(`${appId}-sink`, [pubsub]);
    const driver = sink.get(ComponentRuntime).get<PubSubDriver>('pubsub', 'ps').driver;
    sinkSub = await driver.subscribe({ topic, metadata: { consumerID: `${appId}-sink` } }, async (msg) => {
      const event = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { data: { n: number; part: string } };
      const key = `${event.data.n}-${event.data.part}`;
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
      return 'SUCCESS';
    });

    const begun = new Set<number>();
    const committed = new Set<number>();
    const failed = new Set<number>();
    let afterCommit = 0;
    const started = Date.now();
    // LANES children at a time (each its own range of transaction numbers), until KILLS were killed.
    let kills = 0;
    const lane = async (index: number) => {
      let next = index * 1_000_000;
      while (kills < KILLS) {
        const kill = kills++;
        // Half the kills come right after a reported commit (before or while its events are published),
        // half at a random moment (before, inside or after a transaction).
        const onCommit = kill % 2 === 0 ? 1 + (kill % 3) : 0;
        const child = spawnChild(components, appId, next);
        const lines = await killAt(child, onCommit, 5 + Math.floor(Math.random() * 120));
        if (onCommit) afterCommit++;
        for (const line of lines) {
          const [tag, num] = line.split(' ');
          const n = Number(num);
          if (tag === 'B') {
            begun.add(n);
            next = Math.max(next, n + 1);
          } else if (tag === 'C') committed.add(n);
          else if (tag === 'F') failed.add(n);
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    const loopMs = Date.now() - started;

    // A relay of the same app takes over what the killed processes left: internal messages, markers.
    relay = await context(appId, components);
    const store = relay.get(StateService);
    const stored = new Set<string>();
    for (const n of begun) {
      for (const part of ['a', 'b']) if ((await store.get('store', `${n}-${part}`)) !== undefined) stored.add(`${n}-${part}`);
    }
    // What the children reported agrees with the store: committed transactions are stored whole, failed ones not at all.
    for (const n of committed) expect([stored.has(`${n}-a`), stored.has(`${n}-b`)]).toEqual([true, true]);
    for (const n of failed) expect([stored.has(`${n}-a`), stored.has(`${n}-b`)]).toEqual([false, false]);
    const stale = [...begun].filter((n) => n % 4 === 3);
    for (const n of stale) expect(stored.has(`${n}-a`)).toBe(false);

    const deadline = Date.now() + 90_000;
    while ([...stored].some((k) => !delivered.has(k)) && Date.now() < deadline) await sleep(200);
    const missing = [...stored].filter((k) => !delivered.has(k));
    expect(missing).toEqual([]);
    // Give a wrongly published event time to arrive before looking for one.
    await sleep(2000);
    const extra = [...delivered.keys()].filter((k) => !stored.has(k));
    expect(extra).toEqual([]);

    const drainMs = Date.now() - started - loopMs;
    const duplicates = [...delivered.values()].filter((c) => c > 1).length;
    const unknown = [...begun].filter((n) => !committed.has(n) && !failed.has(n)).length;
    process.stdout.write(
      `outbox crash loop (${scenario.name}): ${KILLS} kills (${afterCommit} right after a commit) in ${Math.round(loopMs / 1000)} s, drained in ${Math.round(drainMs / 1000)} s; ` +
        `${begun.size} transactions: ${committed.size} committed, ${failed.size} failed, ${unknown} cut off by the kill; ` +
        `${stored.size} upserts stored, all delivered (${duplicates} more than once), none delivered that was not stored\n`,
    );
    expect(committed.size).toBeGreaterThan(KILLS / 4);
    expect(stale.length).toBeGreaterThan(0);
  }, 900_000);
});

function spawnChild(components: ComponentDefinition[], appId: string, start: number): ChildProcess {
  return spawn(process.execPath, ['-r', register, script], {
    cwd: root,
    env: { ...process.env, COMPONENTS: JSON.stringify(components), APP_ID: appId, START: String(start), KEY_PREFIX: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Kills the child with SIGKILL: on its `onCommit`-th reported commit when set, otherwise `delayMs`
 * after it is ready. Returns the lines it printed.
 */
function killAt(child: ChildProcess, onCommit: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    let commits = 0;
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'ready') {
          if (!onCommit) timer = setTimeout(kill, delayMs);
          continue;
        }
        lines.push(line);
        if (onCommit && line.startsWith('C ') && ++commits === onCommit) kill();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(lines);
      else reject(new Error(`the crash child exited with ${code}:\n${stderr}`));
    });
  });
}

async function context(appId: string, components: ComponentDefinition[]): Promise<INestApplicationContext> {
  @Module({ imports: [DaprModule.forRoot({ appId, components })] })
  class CrashTestModule {}
  const app = await NestFactory.createApplicationContext(CrashTestModule, { logger: ['error'] });
  await app.init();
  return app;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
