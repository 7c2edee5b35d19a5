import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSubService } from 'nest-dapr';
import { runId, startApp, waitFor } from './pubsub-test-kit';

/**
 * pubsub.sqlite shared by real processes on one machine: consumers run as
 * child processes (plain node + swc), the publisher runs in the test process.
 */
const root = join(__dirname, '..', '..');
const consumerScript = join(__dirname, 'fixtures', 'sqlite-consumer.app.ts');
const register = join(root, 'test', 'support', 'swc-register.js');

describe('pubsub.sqlite across processes', () => {
  let dir: string;
  let db: string;
  let publisher: INestApplication | undefined;
  const children = new Set<ChildProcess>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-xproc-'));
  });

  beforeEach(async () => {
    db = join(dir, `queue-${runId()}.db`);
    publisher = await startApp({
      appId: 'xproc-publisher',
      components: [{ name: 'ps', type: 'pubsub.sqlite', metadata: { connectionString: db } }],
    });
  });

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all([...children].map((c) => exited(c)));
    children.clear();
    await publisher?.close();
    publisher = undefined;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function consumer(
    appId: string,
    topic: string,
    out: string,
    delayMs: number,
    visibility = '1s',
    hangAfter = 0,
  ): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-r', register, consumerScript], {
      cwd: root,
      env: {
        ...process.env,
        APP_ID: appId,
        TOPIC: topic,
        OUT: out,
        DB: db,
        HANDLE_DELAY_MS: String(delayMs),
        VISIBILITY: visibility,
        HANG_AFTER: String(hangAfter),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    return new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`consumer ${appId} did not start:\n${log}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('ready')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!log.includes('ready')) reject(new Error(`consumer ${appId} exited with ${code}:\n${log}`));
      });
    });
  }

  const lines = (file: string): string[] =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

  it('handles every message at least once when a consumer is killed with SIGKILL mid-stream and restarted', async () => {
    const topic = `crash-${runId()}`;
    const out = join(dir, `${topic}.out`);
    const n = 200;
    const expected = Array.from({ length: n }, (_, i) => `m-${i}`);
    const pub = publisher!.get(PubSubService);
    for (const m of expected) await pub.publish('ps', topic, m);

    // The first consumer handles 30 messages, then hangs with a batch in flight (leased).
    const first = await consumer('crash-app', topic, out, 5, '1s', 30);
    await waitFor(() => lines(out).length >= 30, 'the first consumer to handle 30 messages', 20_000);
    first.kill('SIGKILL');
    await exited(first);
    const handledBeforeCrash = new Set(lines(out)).size;
    // Handlers already past the hang check when the 30th finished may still complete (concurrency 4).
    expect(handledBeforeCrash).toBeGreaterThanOrEqual(30);
    expect(handledBeforeCrash).toBeLessThan(40);

    await consumer('crash-app', topic, out, 0);
    await waitFor(
      () => new Set(lines(out)).size === n,
      () => `all ${n} messages handled, got ${new Set(lines(out)).size}`,
      30_000,
    );
    expect([...new Set(lines(out))].sort()).toEqual([...expected].sort());
  }, 90_000);

  it('splits a topic between two instances of one app and gives another app all of it', async () => {
    const topic = `split-${runId()}`;
    const outA1 = join(dir, `${topic}-a1.out`);
    const outA2 = join(dir, `${topic}-a2.out`);
    const outB = join(dir, `${topic}-b.out`);
    await Promise.all([
      // Long leases: no lease may expire under CI load, so no message is handled twice.
      consumer('workers', topic, outA1, 15, '10s'),
      consumer('workers', topic, outA2, 15, '10s'),
      consumer('auditor', topic, outB, 0, '10s'),
    ]);
    const n = 100;
    const expected = Array.from({ length: n }, (_, i) => `s-${i}`);
    const pub = publisher!.get(PubSubService);
    for (const m of expected) await pub.publish('ps', topic, m);

    const workers = () => new Set([...lines(outA1), ...lines(outA2)]);
    await waitFor(
      () => workers().size === n && new Set(lines(outB)).size === n,
      () => `workers ${workers().size}/${n}, auditor ${new Set(lines(outB)).size}/${n}`,
      30_000,
    );
    expect([...workers()].sort()).toEqual([...expected].sort());
    expect([...new Set(lines(outB))].sort()).toEqual([...expected].sort());
    // Competing consumers: both instances took part, and no message was handled by both.
    expect(lines(outA1).length).toBeGreaterThan(0);
    expect(lines(outA2).length).toBeGreaterThan(0);
    const overlap = lines(outA1).filter((m) => lines(outA2).includes(m));
    expect(overlap).toEqual([]);
  }, 90_000);
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
