#!/usr/bin/env node
/* global fetch */
/**
 * The embedded demo (`npm start`): runs the order and checkout apps as two
 * processes on a component profile (default `local`: SQLite state, SQLite
 * pub/sub, SQLite name resolution, all under .dapr/local/, no servers), drives
 * a few orders through them and prints the flow, then exits 0 when every
 * order ended as expected (1 otherwise).
 *
 *   node scripts/demo.js [--watch] [--verbose]
 *
 * --watch    keep both apps running afterwards (Ctrl+C stops them)
 * --verbose  show every log line of both apps
 * env        DAPR_PROFILE (local), ORDER_PORT (3001), CHECKOUT_PORT (3002)
 */
const { spawn } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const { resetProfileState } = require('./demo-reset');
const net = require('node:net');
const { join } = require('node:path');

const root = join(__dirname, '..');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const verbose = args.has('--verbose');
const profile = process.env.DAPR_PROFILE ?? 'local';
// Profile paths (.dapr/...) are relative to the working directory: the apps and this script share the root.
process.chdir(root);

const c = process.stdout.isTTY
  ? { dim: (s) => `\x1b[2m${s}\x1b[0m`, bold: (s) => `\x1b[1m${s}\x1b[0m`, green: (s) => `\x1b[32m${s}\x1b[0m`, red: (s) => `\x1b[31m${s}\x1b[0m`, cyan: (s) => `\x1b[36m${s}\x1b[0m`, yellow: (s) => `\x1b[33m${s}\x1b[0m` }
  : { dim: (s) => s, bold: (s) => s, green: (s) => s, red: (s) => s, cyan: (s) => s, yellow: (s) => s };

const say = (line = '') => console.log(line);
const step = (title) => say(`\n${c.bold(`▶ ${title}`)}`);

/** A free port: the preferred one unless taken (then the OS picks), or exactly the one the user asked for. */
async function choosePort(envName, preferred) {
  if (process.env[envName]) return Number(process.env[envName]);
  if (await isFree(preferred)) return preferred;
  const port = await new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address();
      srv.close(() => resolve(p));
    });
    srv.on('error', reject);
  });
  say(c.yellow(`port ${preferred} is in use; using ${port} instead (set ${envName} to choose)`));
  return port;
}

function isFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Starts one app from dist/ and resolves once it listens; echoes its interesting log lines. */
function startApp(name, port, color) {
  const main = join(root, 'dist/apps', name, 'src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm start does)`);
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DAPR_PROFILE: profile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tag = color(`[${name.padEnd(8)}]`);
  let buffered = '';
  const echo = (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const raw of lines) {
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '').replace(/^\[Nest\] \d+\s+-\s+.*?\s+(LOG|WARN|ERROR|DEBUG)\s+/, '$1 ');
      const interesting = /\[(Orders|Checkout)\]|ERROR|WARN|cannot start|listening on|subscribed to/.test(line);
      if (verbose || interesting) say(`${tag} ${line}`);
    }
  };
  child.stdout.setEncoding('utf8').on('data', echo);
  child.stderr.setEncoding('utf8').on('data', echo);
  const ready = new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    const onData = (chunk) => {
      seen += chunk;
      if (seen.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
  return { name, port, child, ready };
}

async function call(port, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function waitForFinal(orderPort, id, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(orderPort, 'GET', `/orders/${id}`);
    if (body && body.status !== 'pending') return body;
    if (Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Publishes one event the way any nest-dapr app would: a throw-away Nest
 * context with DaprModule on the same profile (only its pub/sub is in scope).
 */
async function publishMalformed(data) {
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const { Module } = require('@nestjs/common');
  const { DaprModule, PubSubService } = require('nest-dapr');
  class ProbeModule {}
  Module({ imports: [DaprModule.forRoot({ appId: 'demo-probe', componentsPath: join(root, 'components', profile) })] })(ProbeModule);
  const ctx = await NestFactory.createApplicationContext(ProbeModule, { logger: ['error'] });
  try {
    await ctx.get(PubSubService).publish('pubsub', 'order.created', data);
  } finally {
    await ctx.close();
  }
}

async function stop(apps) {
  await Promise.all(
    apps.map(
      (app) =>
        new Promise((resolve) => {
          if (app.child.exitCode !== null || app.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
          app.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          app.child.kill('SIGTERM');
        }),
    ),
  );
}

async function main() {
  say(c.bold(`nest-dapr demo — order + checkout as two processes on the "${profile}" profile`));
  if (profile === 'local') {
    // A fresh start every run: the demo's own SQLite files only.
    rmSync(join(root, '.dapr/local'), { recursive: true, force: true });
    say(c.dim('state, pub/sub and name resolution: SQLite files in .dapr/local/ (cleaned at start)'));
  }
  if (profile !== 'local') {
    // A fresh sample stock every run: the profile's state stores on their servers are emptied first.
    await resetProfileState(root, profile, (line) => say(c.dim(line)));
  }
  const checkoutPort = await choosePort('CHECKOUT_PORT', 3002);
  const orderPort = await choosePort('ORDER_PORT', 3001);
  const apps = [];
  let ok = true;
  const expect = (cond, what) => {
    say(`  ${cond ? c.green('✔') : c.red('✘')} ${what}`);
    if (!cond) ok = false;
  };
  try {
    step('starting checkout and order');
    // checkout first: order quotes every new order with it through service invocation.
    const checkout = startApp('checkout', checkoutPort, c.cyan);
    apps.push(checkout);
    await checkout.ready;
    const order = startApp('order', orderPort, c.yellow);
    apps.push(order);
    await order.ready;

    step('stock before');
    for (const sku of ['coffee', 'mug', 'grinder']) {
      const { body } = await call(checkoutPort, 'GET', `/stock/${sku}`);
      say(`  ${sku.padEnd(8)} ${String(body.available).padStart(3)} left at ${body.price}`);
    }

    const scenarios = [
      { label: 'coffee ×2 + mug ×1', body: { customer: 'ada', items: [{ sku: 'coffee', quantity: 2 }, { sku: 'mug', quantity: 1 }] }, expect: 'paid' },
      { label: 'the last grinder', body: { customer: 'grace', items: [{ sku: 'grinder', quantity: 1 }] }, expect: 'paid' },
      { label: 'another grinder (none left)', body: { customer: 'linus', items: [{ sku: 'grinder', quantity: 1 }] }, expect: 'rejected' },
      { label: 'an invalid body', body: { customer: '', items: [{ sku: 'coffee', quantity: 0 }] }, expect: 400 },
      { label: 'an unknown SKU', body: { customer: 'ada', items: [{ sku: 'teapot', quantity: 1 }] }, expect: 422 },
    ];
    const placed = [];
    for (const s of scenarios) {
      step(`POST /orders — ${s.label}`);
      const res = await call(orderPort, 'POST', '/orders', s.body);
      if (typeof s.expect === 'number') {
        const msg = Array.isArray(res.body?.message) ? res.body.message.join('; ') : res.body?.message;
        say(`  ← ${res.status} ${msg}`);
        expect(res.status === s.expect, `answered ${s.expect}`);
        continue;
      }
      expect(res.status === 201, `201 Created, order ${c.bold(res.body?.id)} pending (quoted ${res.body?.quotedTotal} via invocation of checkout GET /stock/:sku)`);
      if (res.status !== 201) continue;
      placed.push({ ...s, id: res.body.id });
      // The order's life: order.created → checkout reserves stock → order.paid / order.rejected → order records it.
      const final = await waitForFinal(orderPort, res.body.id);
      say(`  events: ${final.history.map((h) => h.event).join(' → ')}  (order.created went to checkout in between)`);
      expect(final.status === s.expect, `final state ${final.status}${final.total !== undefined ? `, total ${final.total}` : ''}${final.reason ? `, reason: ${final.reason}` : ''}`);
    }

    step('final state of every order (GET /orders/:id)');
    for (const p of placed) {
      const { body } = await call(orderPort, 'GET', `/orders/${p.id}`);
      say(`  ${p.id}  ${body.customer.padEnd(6)} ${body.status.padEnd(9)} ${body.total ?? body.reason ?? ''}`);
    }

    step('stock after');
    const grinder = await call(checkoutPort, 'GET', '/stock/grinder');
    for (const sku of ['coffee', 'mug', 'grinder']) {
      const { body } = await call(checkoutPort, 'GET', `/stock/${sku}`);
      say(`  ${sku.padEnd(8)} ${String(body.available).padStart(3)} left`);
    }
    expect(grinder.body.available === 0, 'the grinder was sold exactly once (ETag-guarded reservation)');

    step('a malformed order.created, published by a third app (this script, through nest-dapr)');
    const badId = `bad-${Date.now()}`;
    await publishMalformed({ orderId: badId, customer: 'mallory', items: [] });
    say(`  published { orderId: "${badId}", items: [] } — checkout's DTO refuses it, so it skips retries`);
    const deadline = Date.now() + 15_000;
    let letter;
    while (!letter && Date.now() < deadline) {
      const dead = await call(checkoutPort, 'GET', '/dead-letters');
      letter = (dead.body ?? []).find((l) => l.data && l.data.orderId === badId);
      if (!letter) await new Promise((r) => setTimeout(r, 100));
    }
    expect(!!letter, `it landed on the dead-letter topic order.created.dead (CloudEvent ${letter ? letter.id : '?'})`);

    if (watch) {
      say(c.bold(`\norder: http://127.0.0.1:${orderPort}  checkout: http://127.0.0.1:${checkoutPort}  — Ctrl+C to stop`));
      say(c.dim(`try: curl -s -XPOST localhost:${orderPort}/orders -H 'content-type: application/json' -d '{"customer":"you","items":[{"sku":"coffee","quantity":1}]}'`));
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        for (const app of apps) app.child.once('exit', resolve);
      });
    }
  } finally {
    await stop(apps);
  }
  say(ok ? c.green('\ndemo finished: every order ended as expected') : c.red('\ndemo finished with unexpected results'));
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(c.red(`[demo] ${err.message}`));
    process.exit(1);
  },
);
