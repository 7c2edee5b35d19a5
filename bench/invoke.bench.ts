/**
 * Service invocation benchmark (reference/performance-anchors.md §9, targets I1 and I3).
 *
 * I1 — client overhead: `InvocationService.invoke` vs raw `undici` `Pool.request`
 * (same pool options, same Dapr headers, same JSON decode) against the same raw
 * `node:http` server running in a separate peer process. Rounds alternate
 * baseline and framework (A B, B A, ...) after a warm-up; reported: req/s and
 * client CPU µs/req per side, the median and worst per-round ratio, and at one
 * request in flight the added p50/p99 latency (median over rounds).
 *
 * I3 — end to end at a fixed 1,000 req/s (Dapr's perf cell: open loop, 1 KB body,
 * latency timed from each request's scheduled send): raw undici → the same Nest
 * routes without DaprModule (Dapr's direct app → app baseline) vs
 * InvocationService (signed identity) → a Nest express app with DaprModule
 * (access guard verifying the signature); plus both clients against a raw
 * node:http server to isolate the client. Compared with Dapr's published
 * sidecar overhead (+1.06 ms p50, +2.90 ms p99, HTTP, v1.17).
 *
 * Run: `npm run bench:invoke` (optionally pin: `taskset -c 1 npm run bench:invoke`).
 * Env: BENCH_ROUNDS (5), BENCH_ROUND_MS (1500), BENCH_OPEN_MS (5000), BENCH_RATE (1000),
 * BENCH_CASES (in-flight counts to run, e.g. `16,64`), BENCH_SKIP_E2E=1, BENCH_E2E_ROUNDS (3).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { DaprModule, InvocationService } from 'nest-dapr';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
const OPEN_MS = Number(process.env.BENCH_OPEN_MS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const BENCH_TOKEN = 'invoke-bench-token';
const POOL_OPTIONS = { keepAliveTimeout: 10_000, connect: { timeout: 5_000 } };

type Op = () => Promise<unknown>;
interface Sample {
  rps: number;
  cpuUs: number;
  p50: number;
  p99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Closed loop: `inflight` workers, each issuing the next request when its previous one completes. */
async function closedLoop(op: Op, ms: number, inflight: number): Promise<Sample> {
  const lat: number[] = [];
  let done = 0;
  const end = performance.now() + ms;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await op();
      lat.push(performance.now() - s);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(lat).sort();
  return { rps: done / seconds, cpuUs: (cpu.user + cpu.system) / done, p50: percentile(sorted, 50) * 1000, p99: percentile(sorted, 99) * 1000 };
}

/** Open loop at a fixed rate; each latency counts from the request's scheduled start (no coordinated omission). */
async function openLoop(op: Op, ms: number, rate: number): Promise<{ p50: number; p90: number; p99: number; achieved: number; errors: number }> {
  const total = Math.floor((ms / 1000) * rate);
  const interval = 1000 / rate;
  const lat = new Float64Array(total);
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    // Never send early: a request fired before its slot would report a negative latency.
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      op().then(
        () => {
          lat[i] = performance.now() - scheduled;
        },
        () => {
          errors++;
          lat[i] = performance.now() - scheduled;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort();
  return { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), achieved: total / elapsed, errors };
}

async function startPeer(): Promise<{ urls: { raw: string; nest: string; plainNest: string }; stop: () => void }> {
  const root = join(__dirname, '..');
  const child = spawn(process.execPath, ['-r', join(root, 'test/support/swc-register.js'), join(__dirname, 'invoke.peer.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
  });
  return { urls: JSON.parse(line) as { raw: string; nest: string; plainNest: string }, stop: () => child.kill('SIGTERM') };
}

async function clientContext(apps: Record<string, string>, apiToken?: string) {
  @Module({ imports: [DaprModule.forRoot({ appId: 'bench-client', apiToken, nameResolution: { component: 'static', configuration: { apps } } })] })
  class ClientModule {}
  const ctx = await NestFactory.createApplicationContext(ClientModule, { logger: false });
  return { ctx, invoker: ctx.get(InvocationService) };
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

async function main(): Promise<void> {
  const peer = await startPeer();
  const { urls } = peer;
  const plain = await clientContext({ raw: urls.raw, target: urls.nest });
  const signed = await clientContext({ raw: urls.raw, target: urls.nest }, BENCH_TOKEN);
  const rawPool = new Pool(urls.raw, POOL_OPTIONS);
  // The raw baseline sends the same Dapr headers and decodes the same JSON.
  const rawHeaders = { 'dapr-caller-app-id': 'bench-client', 'dapr-callee-app-id': 'raw' };
  const rawGet: Op = async () => {
    const res = await rawPool.request({ path: '/stock/1', method: 'GET', headers: rawHeaders });
    return JSON.parse(await res.body.text()) as unknown;
  };
  const fwGet: Op = () => plain.invoker.invoke('raw', 'stock/1');
  const fwSignedGet: Op = () => signed.invoker.invoke('raw', 'stock/1');

  console.log(`# Invocation benchmark — node ${process.version}, ${ROUNDS} rounds × ${ROUND_MS} ms, peer in its own process`);
  console.log('');
  console.log('## I1 client overhead (GET, ~1 KB JSON response, raw node:http peer)');
  console.log('');
  console.log('| case | in flight | raw req/s | framework req/s | ratio median (worst) | raw CPU µs/req | fw CPU µs/req | added p50 µs | added p99 µs |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const cases: [string, Op, number][] = [
    ['invoke', fwGet, 1],
    ['invoke + signed identity', fwSignedGet, 1],
    ['invoke', fwGet, 16],
    ['invoke', fwGet, 64],
  ];
  // BENCH_CASES=16,64 (in-flight counts) narrows the run while tuning one case.
  const only = process.env.BENCH_CASES?.split(',').map(Number);
  for (const [name, fw, inflight] of cases) {
    if (only && !only.includes(inflight)) continue;
    await closedLoop(rawGet, Math.min(1000, ROUND_MS), inflight);
    await closedLoop(fw, Math.min(1000, ROUND_MS), inflight);
    const raw: Sample[] = [];
    const cand: Sample[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        raw.push(await closedLoop(rawGet, ROUND_MS, inflight));
        cand.push(await closedLoop(fw, ROUND_MS, inflight));
      } else {
        cand.push(await closedLoop(fw, ROUND_MS, inflight));
        raw.push(await closedLoop(rawGet, ROUND_MS, inflight));
      }
    }
    const ratios = raw.map((s, i) => cand[i].rps / s.rps);
    const addedP50 = median(raw.map((s, i) => cand[i].p50 - s.p50));
    const addedP99 = median(raw.map((s, i) => cand[i].p99 - s.p99));
    console.log(
      `| ${name} | ${inflight} | ${fmt(median(raw.map((s) => s.rps)), 0)} | ${fmt(median(cand.map((s) => s.rps)), 0)} | ${fmt(median(ratios), 3)} (${fmt(Math.min(...ratios), 3)}) | ${fmt(median(raw.map((s) => s.cpuUs)))} | ${fmt(median(cand.map((s) => s.cpuUs)))} | ${inflight === 1 ? fmt(addedP50) : '-'} | ${inflight === 1 ? fmt(addedP99) : '-'} |`,
    );
  }

  if (process.env.BENCH_SKIP_E2E === '1') {
    await Promise.all([rawPool.close(), plain.ctx.close(), signed.ctx.close()]);
    peer.stop();
    return;
  }
  console.log('');
  console.log(`## I3 end to end at a fixed ${RATE} req/s for ${OPEN_MS} ms (POST ~1 KB JSON, latency from scheduled send)`);
  console.log('');
  const body = { items: Array.from({ length: 12 }, (_, n) => ({ sku: `SKU-${n}`, qty: n, note: 'y'.repeat(48) })) };
  const bodyText = JSON.stringify(body);
  // Same pool options on every path: the framework's pools are unbounded keep-alive pools too.
  const e2eRaw = new Pool(urls.raw, POOL_OPTIONS);
  const e2eNest = new Pool(urls.plainNest, POOL_OPTIONS);
  const post = (pool: Pool): Op => async () => {
    const res = await pool.request({ path: '/orders', method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyText });
    return JSON.parse(await res.body.text()) as unknown;
  };
  // Dapr's cell compares app → app directly with app → sidecar → sidecar → app, the same app server on
  // both paths; here the direct path is raw undici → the same Nest routes without DaprModule.
  const paths: [string, Op][] = [
    ['raw undici → raw node:http', post(e2eRaw)],
    ['InvocationService → raw node:http (client only)', () => signed.invoker.invoke('raw', 'orders', { body })],
    ['raw undici → Nest (express), no DaprModule', post(e2eNest)],
    ['InvocationService → Nest (express) + DaprModule guard', () => signed.invoker.invoke('target', 'orders', { body })],
  ];
  for (const [, op] of paths) await openLoop(op, 1000, RATE);
  const E2E_ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 3);
  const runs: Awaited<ReturnType<typeof openLoop>>[][] = paths.map(() => []);
  for (let r = 0; r < E2E_ROUNDS; r++) {
    const order = r % 2 === 0 ? paths.map((_, i) => i) : paths.map((_, i) => paths.length - 1 - i);
    for (const i of order) runs[i].push(await openLoop(paths[i][1], OPEN_MS, RATE));
  }
  const med = runs.map((rs) => ({
    p50: median(rs.map((x) => x.p50)),
    p90: median(rs.map((x) => x.p90)),
    p99: median(rs.map((x) => x.p99)),
    achieved: median(rs.map((x) => x.achieved)),
    errors: rs.reduce((n, x) => n + x.errors, 0),
  }));
  console.log(`medians of ${E2E_ROUNDS} interleaved rounds per path`);
  console.log('');
  console.log('| path | achieved req/s | errors | p50 ms | p90 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|');
  paths.forEach(([name], i) =>
    console.log(`| ${name} | ${fmt(med[i].achieved, 0)} | ${med[i].errors} | ${fmt(med[i].p50, 3)} | ${fmt(med[i].p90, 3)} | ${fmt(med[i].p99, 3)} |`),
  );
  const diff = (n: number) => (n >= 0 ? `+${fmt(n, 3)}` : `−${fmt(-n, 3)}`);
  const added = (a: number, b: number) => `${diff(med[a].p50 - med[b].p50)} | ${diff(med[a].p90 - med[b].p90)} | ${diff(med[a].p99 - med[b].p99)}`;
  console.log(`| **added by the client** (row 2 − row 1) | | | ${added(1, 0)} |`);
  console.log(`| **added app → app** (row 4 − row 3; Dapr v1.17 sidecars: +1.06 / +1.48 / +2.90 ms) | | | ${added(3, 2)} |`);

  await rawPool.close();
  await e2eRaw.close();
  await e2eNest.close();
  await plain.ctx.close();
  await signed.ctx.close();
  peer.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
