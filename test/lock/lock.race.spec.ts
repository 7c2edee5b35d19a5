import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { LockService } from 'nest-dapr';
import { startLockApp } from './lock-conformance';

/**
 * The race: 50 contenders in two processes (25 each) on one resource
 * of a real lock store. At no time may two hold the lock — checked twice: a
 * shared Redis counter each holder INCRs/DECRs must never exceed 1, and the
 * holding intervals from both processes (one machine clock) must not overlap.
 * Then expiry: a process takes the lock and is SIGKILLed; the lock frees
 * itself after its expiry, not before.
 */
const root = join(__dirname, '..', '..');
const register = join(root, 'test/support/swc-register.js');
const script = join(__dirname, 'support/lock-contender.ts');

interface Report {
  intervals: [number, number, string][];
  maxHolders: number;
  badUnlocks: string[];
  attempts: number;
}

function startContender(env: Record<string, string>): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', register, script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function runRace(type: string, metadata: Record<string, string>): Promise<{ reports: Report[]; counterKey: string }> {
  const run = randomUUID().slice(0, 8);
  const counterKey = `lockrace:${run}:holders`;
  const env = {
    APP_ID: `race-${run}`,
    LOCK_TYPE: type,
    LOCK_METADATA: JSON.stringify(metadata),
    RESOURCE: `job-${run}`,
    COUNTER_KEY: counterKey,
    CONTENDERS: '25',
    ACQUIRES: '2',
    HOLD_MS: '3',
  };
  const procs = [startContender(env), startContender(env)];
  const codes = await Promise.all(procs.map((p) => p.exited));
  codes.forEach((code, i) => {
    if (code !== 0) throw new Error(`contender ${i} exited with ${code}:\n${procs[i].out()}`);
  });
  const reports = procs.map((p) => JSON.parse(p.out().trim().split('\n').pop()!) as Report);
  return { reports, counterKey };
}

/** Pairs of holding intervals (from either process) that overlap in time. */
function overlapsOf(reports: Report[]): string[] {
  const all = reports.flatMap((r) => r.intervals).sort((a, b) => a[0] - b[0]);
  const overlaps: string[] = [];
  for (let i = 1; i < all.length; i++) {
    if (all[i][0] < all[i - 1][1]) overlaps.push(`${all[i - 1][2]} [${all[i - 1][0]}, ${all[i - 1][1]}] and ${all[i][2]} [${all[i][0]}, ${all[i][1]}]`);
  }
  return overlaps;
}

function assertMutualExclusion(reports: Report[]): void {
  // Every contender got its two turns: 50 × 2 holds in all.
  expect(reports.map((r) => r.intervals.length)).toEqual([50, 50]);
  expect(reports.flatMap((r) => r.badUnlocks)).toEqual([]);
  expect(Math.max(...reports.map((r) => r.maxHolders))).toBe(1);
  expect(overlapsOf(reports)).toEqual([]);
  // Contention was real: far more attempts than grants.
  expect(reports.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThan(200);
}

async function expiryFreesTheLock(type: string, metadata: Record<string, string>): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const appId = `expiry-${run}`;
  const resource = `job-${run}`;
  const holder = startContender({ MODE: 'hold', APP_ID: appId, LOCK_TYPE: type, LOCK_METADATA: JSON.stringify(metadata), RESOURCE: resource, EXPIRY: '3' });
  const app = await startLockApp(appId, [{ name: 'racelock', type, metadata }]);
  try {
    const deadline = Date.now() + 60_000;
    while (!/HELD \d+/.test(holder.out())) {
      if (Date.now() > deadline || holder.child.exitCode !== null) throw new Error(`holder did not take the lock:\n${holder.out()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const heldAt = Number(/HELD (\d+)/.exec(holder.out())![1]);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const lock = app.get(LockService);
    let freedAt = 0;
    while (!freedAt) {
      if ((await lock.lock('racelock', resource, 'survivor', 30)).success) freedAt = Date.now();
      else await new Promise((r) => setTimeout(r, 25));
      if (Date.now() - heldAt > 30_000) throw new Error('the dead holder\'s lock never expired');
    }
    // Not before the 3 s expiry (the holder's timestamp was taken just after it got the lock) ...
    expect(freedAt - heldAt).toBeGreaterThanOrEqual(2900);
    // ... and soon after it (generous: the machine is shared).
    expect(freedAt - heldAt).toBeLessThan(10_000);
    await expect(lock.unlock('racelock', resource, 'survivor')).resolves.toEqual({ status: 'SUCCESS' });
  } finally {
    if (holder.child.exitCode === null) holder.child.kill('SIGKILL');
    await app.close();
  }
}

describe('lock race: 50 contenders in two processes', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis('127.0.0.1:6379');
  });
  afterAll(() => redis.quit());

  describe('lock.redis', () => {
    const md = { redisHost: '127.0.0.1:6379' };
    it('at most one holder at any time', async () => {
      const { reports, counterKey } = await runRace('lock.redis', md);
      assertMutualExclusion(reports);
      expect(await redis.get(counterKey)).toBe('0');
      await redis.del(counterKey);
    }, 180_000);

    it("expiry frees a killed holder's lock", () => expiryFreesTheLock('lock.redis', md), 120_000);
  });

  describe('lock.sqlite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-race-'));
    const md = { connectionString: join(dir, 'race.db') };
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('at most one holder at any time', async () => {
      const { reports, counterKey } = await runRace('lock.sqlite', md);
      assertMutualExclusion(reports);
      await redis.del(counterKey);
    }, 180_000);

    it("expiry frees a killed holder's lock", () => expiryFreesTheLock('lock.sqlite', md), 120_000);
  });

  it('the checks catch a lock that does not exclude: lock.in-memory is per process, so the two processes overlap', async () => {
    const { reports, counterKey } = await runRace('lock.in-memory', {});
    await redis.del(counterKey);
    expect(Math.max(...reports.map((r) => r.maxHolders))).toBeGreaterThan(1);
    expect(overlapsOf(reports).length).toBeGreaterThan(0);
  }, 180_000);
});
