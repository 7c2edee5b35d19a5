import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { copyProfile, setMetadata } from './support/profile-copy';
import { call, eventually, freePort } from './support/sample-apps';

/**
 * The sample apps unchanged, in sidecar mode (DAPR_SIDECAR=true): each runs
 * under its own `nest-dapr run` (started by it, as `dapr run -- …` starts an
 * app) on the Redis profile. Orders are quoted through invocation
 * (order → its sidecar → checkout's sidecar → checkout), paid and rejected
 * through pub/sub, stock kept with ETags, and an invalid event ends on the
 * dead-letter topic — the same flow as in-process.
 */
const root = join(__dirname, '..', '..');
const register = join(root, 'test/support/swc-register.js');
const cli = join(root, 'libs/dapr/src/cli/main.ts');

interface Launched {
  child: ChildProcess;
  port: number;
  daprHttp: number;
  output: () => string;
}

async function launch(name: 'order' | 'checkout', cwd: string, components: string, env: Record<string, string>): Promise<Launched> {
  const [port, daprHttp, daprGrpc] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      '-r', register, cli, 'run',
      '--app-id', name, '--app-port', String(port), '--dapr-http-port', String(daprHttp), '--dapr-grpc-port', String(daprGrpc),
      '--resources-path', components, '--log-level', 'warn',
      '--', process.execPath, '-r', register, join(root, 'apps', name, 'src/main.ts'),
    ],
    { cwd, env: { ...process.env, ...env, PORT: String(port), DAPR_SIDECAR: 'true', LOG_LEVEL: 'quiet' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const app: Launched = { child, port, daprHttp, output: () => out };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} under nest-dapr run exited with ${child.exitCode}:\n${out}`);
    const healthy = await fetch(`http://127.0.0.1:${daprHttp}/v1.0/healthz`).then((r) => r.status === 204, () => false);
    if (healthy && out.includes('listening on')) return app;
    if (Date.now() > deadline) throw new Error(`${name} did not come up under nest-dapr run:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(app: Launched | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000);
    app.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    app.child.kill('SIGTERM');
  });
}

describe('order flow end to end in sidecar mode on nest-dapr run (redis profile)', () => {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const sku = (name: string) => `${name}-${run}`;
  let dir: string;
  let order: Launched | undefined;
  let checkout: Launched | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-e2e-sidecar-'));
    const components = join(dir, 'components');
    copyProfile('redis', components, dir, (doc) => {
      if (doc.spec?.type === 'state.redis') setMetadata(doc, 'keyPrefix', `e2e-${run}-${doc.metadata!.name}`);
      if (doc.spec?.type === 'pubsub.redis') setMetadata(doc, 'consumerID', `e2e-${run}-{appID}`);
    });
    const env = {
      CHECKOUT_CATALOG: JSON.stringify([
        { sku: sku('coffee'), available: 10, price: 4.5 },
        { sku: sku('grinder'), available: 1, price: 89 },
      ]),
    };
    [checkout, order] = await Promise.all([launch('checkout', dir, components, env), launch('order', dir, components, env)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([stop(order), stop(checkout)]);
    const redis = new Redis('127.0.0.1:6379');
    const keys = await redis.keys(`e2e-${run}-*`);
    if (keys.length) await redis.del(...keys);
    for (const topic of ['order.created', 'order.paid', 'order.rejected', 'order.created.dead']) {
      for (const app of ['order', 'checkout']) await redis.xgroup('DESTROY', topic, `e2e-${run}-${app}`).catch(() => undefined);
    }
    redis.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const finalOrder = (id: string) =>
    eventually(
      async () => (await call(order!.port, 'GET', `/orders/${id}`)).body as { status: string; total?: number; reason?: string; history: { event: string }[] },
      (o) => o.status !== 'pending',
    );

  it('pays, validates and rejects orders across both apps through their sidecars, and dead-letters an invalid event', async () => {
    const first = await call(order!.port, 'POST', '/orders', { customer: 'ada', items: [{ sku: sku('coffee'), quantity: 3 }] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'pending', quotedTotal: 13.5 });

    const invalid = await call(order!.port, 'POST', '/orders', { customer: '', items: [{ sku: sku('coffee'), quantity: 0 }] });
    expect(invalid.status).toBe(400);

    const grinder1 = await call(order!.port, 'POST', '/orders', { customer: 'grace', items: [{ sku: sku('grinder'), quantity: 1 }] });
    expect(grinder1.status).toBe(201);
    const paidGrinder = await finalOrder(grinder1.body.id);
    const grinder2 = await call(order!.port, 'POST', '/orders', { customer: 'linus', items: [{ sku: sku('grinder'), quantity: 1 }, { sku: sku('coffee'), quantity: 1 }] });
    expect(grinder2.status).toBe(201);

    const paidCoffee = await finalOrder(first.body.id);
    const rejected = await finalOrder(grinder2.body.id);
    expect(paidCoffee).toMatchObject({ status: 'paid', total: 13.5 });
    expect(paidCoffee.history.map((h) => h.event)).toEqual(['created', 'order.paid']);
    expect(paidGrinder).toMatchObject({ status: 'paid', total: 89 });
    expect(rejected).toMatchObject({ status: 'rejected', reason: `out of stock: ${sku('grinder')} (wanted 1, 0 left)` });
    expect((await call(checkout!.port, 'GET', `/stock/${sku('coffee')}`)).body).toMatchObject({ available: 7 });
    expect((await call(checkout!.port, 'GET', `/stock/${sku('grinder')}`)).body).toMatchObject({ available: 0 });

    // An event checkout's DTO refuses: published through order's sidecar HTTP API, dead-lettered once.
    const badId = `bad-${randomUUID()}`;
    const published = await fetch(`http://127.0.0.1:${order!.daprHttp}/v1.0/publish/pubsub/order.created`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: badId, customer: 'mallory', items: [] }),
    });
    expect(published.status).toBe(204);
    const letters = await eventually(
      async () => (await call(checkout!.port, 'GET', '/dead-letters')).body as { data: { orderId: string }; topic: string }[],
      (list) => Array.isArray(list) && list.some((l) => l.data?.orderId === badId),
    );
    expect(letters.filter((l) => l.data?.orderId === badId)).toEqual([expect.objectContaining({ topic: 'order.created' })]);
    expect((await call(order!.port, 'GET', `/orders/${randomUUID()}`)).status).toBe(404);
  }, 120_000);
});
