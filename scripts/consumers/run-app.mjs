#!/usr/bin/env node
/* global fetch */
/**
 * Starts one installed consumer app (`node dist/main` in its folder, in-memory
 * components from ./components) and checks it over HTTP the way a client
 * would; part of scripts/consumers.sh.
 *
 *   node scripts/consumers/run-app.mjs <appDir> [--trace]
 *
 * Checks, each failing the run with what it saw:
 *  - state with ETags: the ETag header changes per write, a stale If-Match is
 *    409 with Dapr's { errorCode, message } (DaprExceptionFilter);
 *  - a @Subscribe handler (behind a guard, a pipe and a class-validator DTO)
 *    records a published order; a refused one lands on the dead-letter topic;
 *  - the app logged no ERROR and wrote nothing besides what was there (no .dapr/);
 *  - the app resolves one copy of nest-dapr and of @nestjs/core, whichever way it loads them;
 *  - --trace: with OTLP/HTTP pointed at a collector here, instrumentation-nestjs-core's
 *    spans and nest-dapr's spans of one request share one trace.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const appDir = resolve(process.argv[2] ?? fail('usage: run-app.mjs <appDir> [--trace]'));
const trace = process.argv.includes('--trace');
const name = appDir.split('/').pop();

function fail(message) {
  console.error(`✖ ${name ?? 'consumer'}: ${message}`);
  process.exit(1);
}
const ok = (message) => console.log(`  ✔ ${name}: ${message}`);

const before = readdirSync(appDir).sort();
const collector = trace ? await startCollector() : undefined;
const port = await freePort();
const env = { ...process.env, PORT: String(port), NO_COLOR: '1' };
if (collector) {
  Object.assign(env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
}
const child = spawn(process.execPath, ['dist/main'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
child.stdout.setEncoding('utf8').on('data', (d) => (log += d));
child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

try {
  await waitForPort();
  await checkCopies();
  await checkState();
  await checkSubscription();
  if (collector) await checkTrace();
} catch (err) {
  child.kill('SIGKILL');
  fail(`${err.message}\n--- app log ---\n${log}`);
}
child.kill('SIGTERM');
const { code, signal } = await Promise.race([exited, sleep(15_000).then(() => ({ code: 'timeout' }))]);
if (code === 'timeout') {
  child.kill('SIGKILL');
  fail(`did not stop within 15 s of SIGTERM\n--- app log ---\n${log}`);
}
if (code !== 0 && code !== null && signal !== 'SIGTERM') fail(`exited with ${code} on SIGTERM\n--- app log ---\n${log}`);
const errors = log.split('\n').filter((l) => /\bERROR\b/.test(l));
if (errors.length) fail(`logged at ERROR:\n${errors.join('\n')}`);
ok('no ERROR line in the log');
const after = readdirSync(appDir).sort();
if (after.join() !== before.join()) fail(`wrote into its working directory: ${after.filter((f) => !before.includes(f)).join(', ')}`);
ok('wrote nothing into its working directory (no .dapr/)');
collector?.server.close();

async function http(method, path, { body, headers = {} } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, etag: res.headers.get('etag'), body: json };
}

function expectEqual(what, actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function eventually(what, read, done, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

async function waitForPort() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it listened`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('did not listen within 60 s');
      await sleep(200);
    }
  }
}

async function checkCopies() {
  // The app's own resolution of nest-dapr from ESM (import) and CJS (require), and of @nestjs/core from both
  // the app and from inside nest-dapr: one file each, so one copy of every class in the process.
  const probe = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    const appRequire = createRequire(pathToFileURL(process.cwd() + '/package.json'));
    const fromImport = await import('nest-dapr');
    const fromRequire = appRequire('nest-dapr');
    const testing = await import('nest-dapr/testing');
    const libRequire = createRequire(appRequire.resolve('nest-dapr'));
    const out = {
      sameLibrary: fromImport.DaprModule === fromRequire.DaprModule,
      sameCore: libRequire.resolve('@nestjs/core') === appRequire.resolve('@nestjs/core'),
      sameCommon: libRequire.resolve('@nestjs/common') === appRequire.resolve('@nestjs/common'),
      testingLoads: typeof testing.DaprTestingModule === 'function',
    };
    console.log(JSON.stringify(out));`;
  const out = await new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', probe], { cwd: appDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.once('exit', (c) => (c === 0 ? res(s) : rej(new Error(`module probe exited with ${c}`))));
  });
  expectEqual('one copy of nest-dapr, @nestjs/core and @nestjs/common', JSON.parse(out), {
    sameLibrary: true,
    sameCore: true,
    sameCommon: true,
    testingLoads: true,
  });
  ok('one copy of nest-dapr and @nestjs/* whether imported or required; nest-dapr/testing loads');
}

async function checkState() {
  const id = `o-${Date.now()}`;
  const first = await http('PUT', `/orders/${id}`, { body: { quantity: 1 } });
  expectEqual('first write', [first.status, first.body], [200, { quantity: 1 }]);
  if (!first.etag) throw new Error('first write: no ETag header');
  const second = await http('PUT', `/orders/${id}`, { body: { quantity: 2 }, headers: { 'if-match': first.etag } });
  expectEqual('write with the current ETag', second.status, 200);
  if (!second.etag || second.etag === first.etag) throw new Error(`the ETag did not change: ${first.etag} → ${second.etag}`);
  const stale = await http('PUT', `/orders/${id}`, { body: { quantity: 3 }, headers: { 'if-match': first.etag } });
  expectEqual('write with a stale ETag', [stale.status, stale.body?.errorCode, typeof stale.body?.message], [409, 'ERR_STATE_SAVE', 'string']);
  const read = await http('GET', `/orders/${id}`);
  expectEqual('read after the refused write', [read.status, read.etag, read.body], [200, second.etag, { quantity: 2 }]);
  ok('state with ETags: writes move the ETag, a stale If-Match is 409 { errorCode, message }');
}

async function checkSubscription() {
  const id = `s-${Date.now()}`;
  expectEqual('publish', (await http('POST', `/orders/${id}/events`, { body: { tenant: 'acme', sku: 'mug', quantity: 2 } })).status, 202);
  const audit = await eventually('the @Subscribe handler recording the order', () => http('GET', `/audit/${id}`), (r) => r.status === 200);
  expectEqual('what the handler saw (pipe upper-cases the SKU)', [audit.body.orderId, audit.body.sku, audit.body.quantity, audit.body.topic], [id, 'MUG', 2, 'orders']);
  const refused = `${id}-x`;
  await http('POST', `/orders/${refused}/events`, { body: { tenant: 'unknown', sku: 'mug', quantity: 1 } });
  await eventually('the guard-refused order on the dead-letter topic', () => http('GET', `/dead/${refused}`), (r) => r.status === 200);
  expectEqual('no audit for the refused order', (await http('GET', `/audit/${refused}`)).status, 404);
  ok('@Subscribe handler with guard, pipe and DTO: delivered, refused ones dead-lettered');
}

async function checkTrace() {
  const id = `t-${Date.now()}`;
  expectEqual('traced write', (await http('PUT', `/orders/${id}`, { body: { quantity: 1 } })).status, 200);
  // instrumentation-nestjs-core's request span for this PUT, and the trace it belongs to.
  const isRequest = (s) => s.scope.endsWith('instrumentation-nestjs-core') && s.attributes['nestjs.type'] === 'request_context' && String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? '').endsWith(`/orders/${id}`);
  const summary = () => collector.spans.map((s) => `${s.scope}: ${s.name}`).filter((v, i, a) => a.indexOf(v) === i).join('; ');
  const traceOf = () => {
    const request = collector.spans.find(isRequest);
    return request ? { request, spans: collector.spans.filter((s) => s.traceId === request.traceId) } : undefined;
  };
  let found;
  try {
    found = await eventually('instrumentation-nestjs-core and nest-dapr spans of the traced request', async () => traceOf(), (t) => !!t && t.spans.some((s) => s.scope === 'nest-dapr'), 15_000);
  } catch {
    throw new Error(`no trace holds both the Nest request span and a nest-dapr span; spans received: ${summary() || 'none'}`);
  }
  const byId = new Map(found.spans.map((s) => [s.spanId, s]));
  const ancestors = (s) => (s.parentSpanId && byId.has(s.parentSpanId) ? [byId.get(s.parentSpanId), ...ancestors(byId.get(s.parentSpanId))] : []);
  const ours = found.spans.filter((s) => s.scope === 'nest-dapr');
  // The library's spans are children of Nest's request span, not merely in the same trace by accident.
  if (!ours.every((s) => ancestors(s).includes(found.request))) {
    throw new Error(`nest-dapr spans are not under the Nest request span: ${found.spans.map((s) => `${s.name} ${s.spanId}<-${s.parentSpanId}`).join('; ')}`);
  }
  const outline = [...found.spans].sort((x, y) => ancestors(x).length - ancestors(y).length);
  ok(`one trace for PUT /orders/${id}: ${outline.map((s) => `${s.name} [${s.scope.replace('@opentelemetry/', '')}]`).join(' > ')}`);
}

/** A minimal OTLP/HTTP JSON trace receiver: POST /v1/traces, spans flattened with their scope. */
async function startCollector() {
  const spans = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes = Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value ?? {})[0]]));
              spans.push({ scope: ss.scope?.name ?? '', name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, spans, url: `http://127.0.0.1:${server.address().port}` };
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}
