/**
 * What `nest-dapr run` adds, measured like Dapr measures its sidecar
 * (reference/performance-anchors.md §1): a fixed request rate (open loop,
 * latency timed from each request's scheduled send), ~1 KB payloads, the
 * same backend for every path, and the added p50/p90/p99 of the sidecar path
 * over the raw client in the same run.
 *
 * Cases × paths, interleaved round by round:
 * - state get / state save (Redis): raw ioredis · in-process StateService ·
 *   sidecar HTTP (undici → nest-dapr run) · sidecar gRPC (@grpc/grpc-js → nest-dapr run)
 * - publish → deliver (Redis streams): raw XADD + XREADGROUP consumer · in-process
 *   PubSubService → @Subscribe handler · publish to the sidecar over HTTP / gRPC,
 *   delivered by the sidecar to an app (node:http) over its HTTP app channel
 * - app → app invoke: raw undici → the app · in-process InvocationService → the app ·
 *   undici / gRPC → sidecar A → sidecar B (name resolution, internal port) → the app
 *   (two sidecars, as in Dapr's figure)
 *
 * The sidecars run as real `nest-dapr run` processes; the clients, the apps and the
 * in-process runtime run here. Run: `npm run bench:sidecar`.
 * Env: BENCH_RATE (1000 req/s), BENCH_SECONDS (3 per path per round), BENCH_ROUNDS (2),
 * BENCH_REDIS_HOST (127.0.0.1:6379), BENCH_CASES (e.g. `get,save,publish,invoke`).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { Pool } from 'undici';
import type * as GrpcJs from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { DaprModule, InvocationService, PubSubService, StateService, Subscribe } from 'nest-dapr';
import { loadGrpcStack } from '../libs/dapr/src/sidecar/grpc/grpc-stack';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const REDIS_HOST = process.env.BENCH_REDIS_HOST ?? '127.0.0.1:6379';
const CASES = (process.env.BENCH_CASES ?? 'get,save,publish,invoke').split(',');
const RUN = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const ROOT = join(__dirname, '..');

/** Dapr's published sidecar overheads (v1.17 unless noted), added latency in ms. */
const DAPR: Record<string, { http: string; grpc: string }> = {
  get: { http: '+0.28 p50 (in-memory store)', grpc: '+0.12 p50; v1.12 PostgreSQL: +0.75 p90, +1.52 p99' },
  save: { http: '—', grpc: '—' },
  publish: { http: 'v1.12: +0.49 p90, +1.21 p99', grpc: '+0.53 p50, +0.81 p90, +1.72 p99' },
  invoke: { http: '+1.06 p50, +1.48 p90, +2.90 p99', grpc: '+1.68 p50' },
};

type Op = (seq: number) => Promise<unknown>;
interface Latency {
  p50: number;
  p90: number;
  p99: number;
  achieved: number;
  errors: number;
}

const doc = (i: number) => ({
  id: i,
  customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
  items: Array.from({ length: 8 }, (_, n) => ({ sku: `SKU-${i}-${n}`, qty: n + 1, price: 9.99 + n })),
  note: 'x'.repeat(400),
});
const DOC = doc(1);
const DOC_JSON = JSON.stringify(DOC);

function pct(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Open loop at RATE: request i is due at start + i/RATE; its latency runs from then. `settle(i)` ends it (for deliveries). */
let nextSeq = 0;

async function openLoop(op: Op, ms: number, rate: number, delivered?: Map<number, () => void>): Promise<Latency> {
  const total = Math.floor((ms / 1000) * rate);
  // Sequence numbers never repeat across runs, so a late delivery cannot settle another run's request.
  const base = nextSeq;
  nextSeq += total;
  const interval = 1000 / rate;
  const done: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const seq = base + i;
    const arrived = delivered ? new Promise<void>((resolve) => delivered.set(seq, resolve)) : undefined;
    pending.push(
      op(seq)
        .then(() => arrived)
        .then(
          () => void done.push(performance.now() - scheduled),
          () => {
            errors++;
            delivered?.delete(seq);
          },
        ),
    );
  }
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 15_000))]);
  const elapsed = (performance.now() - start) / 1000;
  // Requests still unanswered after 15 s count as errors.
  errors += total - done.length - errors;
  const lat = Float64Array.from(done).sort();
  return { p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), achieved: done.length / elapsed, errors };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function component(name: string, type: string, metadata: Record<string, string>) {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name }, spec: { type, version: 'v1', metadata: Object.entries(metadata).map(([n, value]) => ({ name: n, value })) } };
}

interface Sidecar {
  http: number;
  grpc: number;
  child: ChildProcess;
}

async function startSidecar(appId: string, resources: string, cwd: string, appPort?: number): Promise<Sidecar> {
  const [http, grpc] = [await freePort(), await freePort()];
  const args = ['-r', join(ROOT, 'test/support/swc-register.js'), join(ROOT, 'libs/dapr/src/cli/main.ts'), 'run', '--app-id', appId, '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc), '--resources-path', resources, '--log-level', 'error'];
  if (appPort) args.push('--app-port', String(appPort));
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${http}/v1.0/healthz`).then((r) => r.status === 204, () => false);
    if (ok) return { http, grpc, child };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sidecar ${appId} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** Where deliveries land: scheduled-time promises keyed by the sequence number in the payload. */
const deliveredBy: Record<string, Map<number, () => void>> = { inproc: new Map(), 'sidecar-http': new Map(), 'sidecar-grpc': new Map(), raw: new Map() };
const arrive = (path: string, seq: number) => {
  const done = deliveredBy[path].get(seq);
  if (done) {
    deliveredBy[path].delete(seq);
    done();
  }
};

const topicOf = (path: string) => `bench-${RUN}-${path}`;

@Injectable()
class InProcSubscriber {
  @Subscribe({ pubsub: 'pubsub', topic: topicOf('inproc') })
  on(data: { seq: number }) {
    arrive('inproc', data.seq);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sidecar-'));
  const resources = join(dir, 'resources');
  mkdirSync(resources, { recursive: true });
  const prefix = `bench-${RUN}`;
  for (const c of [
    component('store', 'state.redis', { redisHost: REDIS_HOST, keyPrefix: prefix }),
    component('pubsub', 'pubsub.redis', { redisHost: REDIS_HOST, consumerID: `${prefix}-{appID}` }),
  ]) writeFileSync(join(resources, `${c.metadata.name}.yaml`), stringify(c));

  // The app: answers invocations with a ~1 KB JSON body and receives deliveries (HTTP app channel).
  const app = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(['sidecar-http', 'sidecar-grpc'].map((p) => ({ pubsubname: 'pubsub', topic: topicOf(p), route: `/events/${p}` }))));
        return;
      }
      if (req.url?.startsWith('/events/')) {
        const path = req.url.slice(8);
        const ce = JSON.parse(Buffer.concat(chunks).toString()) as { data: { seq: number } };
        arrive(path, ce.data.seq);
        res.writeHead(200);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(DOC_JSON);
    });
  });
  const appPort = await listen(app);

  const sidecarB = await startSidecar(`bench-b-${RUN}`, resources, dir, appPort);
  const sidecarA = await startSidecar(`bench-a-${RUN}`, resources, dir, appPort);
  const stack = (await loadGrpcStack(true))!;
  const Dapr = stack.grpc.makeGenericClientConstructor(stack.daprService, 'Dapr') as unknown as new (a: string, c: GrpcJs.ChannelCredentials) => GrpcJs.Client & Record<string, (req: unknown, cb: (err: Error | null, res: unknown) => void) => void>;
  const grpcClient = new Dapr(`127.0.0.1:${sidecarA.grpc}`, stack.grpc.credentials.createInsecure());
  const grpcCall = (method: string, req: unknown) => new Promise<unknown>((resolve, reject) => grpcClient[method](req, (err, res) => (err ? reject(err) : resolve(res))));
  const sidecarHttp = new Pool(`http://127.0.0.1:${sidecarA.http}`, { connections: 16, keepAliveTimeout: 30_000 });
  const appHttp = new Pool(`http://127.0.0.1:${appPort}`, { connections: 16, keepAliveTimeout: 30_000 });
  const redis = new Redis(REDIS_HOST);
  const consumer = new Redis(REDIS_HOST);

  @Module({
    imports: [
      DaprModule.forRoot({
        appId: `bench-inproc-${RUN}`,
        components: [
          { name: 'store', type: 'state.redis', metadata: { redisHost: REDIS_HOST, keyPrefix: prefix } },
          { name: 'pubsub', type: 'pubsub.redis', metadata: { redisHost: REDIS_HOST, consumerID: `${prefix}-inproc` } },
        ],
        nameResolution: { component: 'static', configuration: { apps: { target: `http://127.0.0.1:${appPort}` } } },
      }),
    ],
    providers: [InProcSubscriber],
  })
  class InProcModule {}
  const nest = await NestFactory.createApplicationContext(InProcModule, { logger: ['error'] });
  await nest.init();
  const state = nest.get(StateService);
  const pubsub = nest.get(PubSubService);
  const invoker = nest.get(InvocationService);

  // Raw consumer of the raw topic (what a driver's XREADGROUP loop does).
  const rawStream = topicOf('raw');
  await redis.xgroup('CREATE', rawStream, 'raw', '$', 'MKSTREAM').catch(() => undefined);
  let consuming = true;
  void (async () => {
    while (consuming) {
      const res = (await consumer.xreadgroup('GROUP', 'raw', 'c1', 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', rawStream, '>').catch(() => null)) as [string, [string, string[]][]][] | null;
      if (!res) continue;
      const ids: string[] = [];
      for (const [id, fields] of res[0][1]) {
        ids.push(id);
        arrive('raw', (JSON.parse(fields[1]) as { seq: number }).seq);
      }
      if (ids.length) await consumer.xack(rawStream, 'raw', ...ids);
    }
  })();

  await state.save('store', [{ key: 'k', value: DOC }]);
  const storageKey = `${prefix}||k`;
  const body = (seq: number) => JSON.stringify({ seq, ...DOC });

  const cases: Record<string, [string, Op, Map<number, () => void>?][]> = {
    get: [
      ['raw ioredis', () => redis.hgetall(storageKey)],
      ['in-process StateService', () => state.get('store', 'k')],
      ['sidecar HTTP', () => sidecarHttp.request({ method: 'GET', path: '/v1.0/state/store/k' }).then((r) => r.body.text())],
      ['sidecar gRPC', () => grpcCall('GetState', { storeName: 'store', key: 'k' })],
    ],
    save: [
      ['raw ioredis', () => redis.hset(storageKey, 'data', DOC_JSON, 'version', '1')],
      ['in-process StateService', () => state.save('store', { key: 'k', value: DOC })],
      ['sidecar HTTP', () => sidecarHttp.request({ method: 'POST', path: '/v1.0/state/store', body: `[{"key":"k","value":${DOC_JSON}}]`, headers: { 'content-type': 'application/json' } }).then((r) => r.body.dump())],
      ['sidecar gRPC', () => grpcCall('SaveState', { storeName: 'store', states: [{ key: 'k', value: Buffer.from(DOC_JSON) }] })],
    ],
    publish: [
      ['raw XADD + XREADGROUP', (seq) => redis.xadd(rawStream, '*', 'data', body(seq)), deliveredBy.raw],
      ['in-process publish → @Subscribe', (seq) => pubsub.publish('pubsub', topicOf('inproc'), { seq, ...DOC }), deliveredBy.inproc],
      ['sidecar HTTP → app', (seq) => sidecarHttp.request({ method: 'POST', path: `/v1.0/publish/pubsub/${topicOf('sidecar-http')}`, body: body(seq), headers: { 'content-type': 'application/json' } }).then((r) => r.body.dump()), deliveredBy['sidecar-http']],
      ['sidecar gRPC → app', (seq) => grpcCall('PublishEvent', { pubsubName: 'pubsub', topic: topicOf('sidecar-grpc'), data: Buffer.from(body(seq)), dataContentType: 'application/json' }), deliveredBy['sidecar-grpc']],
    ],
    invoke: [
      ['raw undici → app', () => appHttp.request({ method: 'POST', path: '/orders', body: DOC_JSON, headers: { 'content-type': 'application/json' } }).then((r) => r.body.text())],
      ['in-process InvocationService → app', () => invoker.invoke('target', 'orders', { body: DOC })],
      ['HTTP → sidecar A → sidecar B → app', () => sidecarHttp.request({ method: 'POST', path: `/v1.0/invoke/bench-b-${RUN}/method/orders`, body: DOC_JSON, headers: { 'content-type': 'application/json' } }).then((r) => r.body.text())],
      ['gRPC → sidecar A → sidecar B → app', () => grpcCall('InvokeService', { id: `bench-b-${RUN}`, message: { method: 'orders', data: { value: Buffer.from(DOC_JSON) }, contentType: 'application/json', httpExtension: { verb: 'POST' } } })],
    ],
  };

  const results = new Map<string, Latency[]>();
  try {
    // Warm-up: every path, briefly.
    for (const name of CASES) for (const [, op, delivered] of cases[name]) await openLoop(op, 500, RATE / 2, delivered);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of CASES) {
        const paths = round % 2 === 0 ? cases[name] : [...cases[name]].reverse();
        for (const [label, op, delivered] of paths) {
          const key = `${name}\u0000${label}`;
          results.set(key, [...(results.get(key) ?? []), await openLoop(op, SECONDS * 1000, RATE, delivered)]);
        }
      }
    }
  } finally {
    consuming = false;
    grpcClient.close();
    await sidecarHttp.close();
    await appHttp.close();
    await nest.close();
    for (const s of [sidecarA, sidecarB]) s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    consumer.disconnect();
    app.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nnest-dapr run overhead — ${RATE} req/s open loop, ${SECONDS} s × ${ROUNDS} rounds per path, ~1 KB payloads, medians over rounds (ms)\n`);
  for (const name of CASES) {
    console.log(`### ${name}\n`);
    console.log('| path | p50 | p90 | p99 | achieved req/s | errors |');
    console.log('|---|---|---|---|---|---|');
    const rows = cases[name].map(([label]) => {
      const rs = results.get(`${name}\u0000${label}`) ?? [];
      return { label, p50: med(rs.map((r) => r.p50)), p90: med(rs.map((r) => r.p90)), p99: med(rs.map((r) => r.p99)), achieved: med(rs.map((r) => r.achieved)), errors: rs.reduce((a, r) => a + r.errors, 0) };
    });
    for (const r of rows) console.log(`| ${r.label} | ${r.p50.toFixed(3)} | ${r.p90.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.achieved.toFixed(0)} | ${r.errors} |`);
    const [raw, , http, grpc] = rows;
    const d = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)}`;
    console.log(`| **added by nest-dapr run, HTTP** (vs raw) | ${d(http.p50, raw.p50)} | ${d(http.p90, raw.p90)} | ${d(http.p99, raw.p99)} | | |`);
    console.log(`| **added by nest-dapr run, gRPC** (vs raw) | ${d(grpc.p50, raw.p50)} | ${d(grpc.p90, raw.p90)} | ${d(grpc.p99, raw.p99)} | | |`);
    console.log(`| Dapr's published overhead | HTTP: ${DAPR[name].http} | gRPC: ${DAPR[name].grpc} | | | |\n`);
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
