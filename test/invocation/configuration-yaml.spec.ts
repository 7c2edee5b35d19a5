import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { request } from 'undici';
import { DaprModule, InvocationError, InvocationService } from 'nest-dapr';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, startApp, type RunningApp } from './invocation-harness';

/** Access control, name resolution and resiliency read from Dapr YAML resources. */
describe('invocation configured by Configuration and Resiliency YAML', () => {
  const dirs: string[] = [];
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'inv-yaml-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  let checkout: RunningApp;
  let order: RunningApp;

  beforeAll(async () => {
    const calleeDir = folder({
      'config.yaml': `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: checkout-config
spec:
  nameResolution:
    component: static
  accessControl:
    defaultAction: deny
    trustDomain: public
    policies:
    - appId: order
      defaultAction: deny
      namespace: default
      trustDomain: public
      operations:
      - name: /stock/*
        httpVerb: ['GET']
        action: allow
      - name: /flaky
        httpVerb: ['POST']
        action: allow
`,
    });
    checkout = await startApp({ appId: 'checkout', apiToken: API_TOKEN, componentsPath: calleeDir }, { controllers: [CheckoutController] });
    const callerDir = folder({
      'config.yaml': `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: order-config
spec:
  nameResolution:
    component: static
    configuration:
      apps:
        checkout: ${checkout.url}
`,
      'resiliency.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: order-resiliency
spec:
  policies:
    retries:
      fast:
        policy: constant
        duration: 5ms
        maxRetries: 2
        matching:
          httpStatusCodes: "503"
  targets:
    apps:
      checkout:
        retry: fast
`,
    });
    order = await startApp({ appId: 'order', apiToken: API_TOKEN, componentsPath: callerDir });
  });

  afterAll(async () => {
    await order?.close();
    await checkout?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('resolves through the YAML static map and passes the YAML access policy', async () => {
    await expect(order.app.get(InvocationService).invoke('checkout', 'stock/7')).resolves.toMatchObject({ sku: '7', caller: 'order' });
  });

  it('denies what the YAML policy does not allow, and plain requests', async () => {
    const err = await order.app.get(InvocationService).invoke('checkout', 'text').catch((e: unknown) => e);
    expect((err as InvocationError).status).toBe(403);
    const plain = await request(`${checkout.url}/stock/7`);
    expect(plain.statusCode).toBe(403);
    await plain.body.dump();
  });

  it('retries per the YAML Resiliency target', async () => {
    const controller = checkout.app.get(CheckoutController);
    controller.hits = {};
    controller.failuresLeft = 2;
    await expect(order.app.get(InvocationService).invoke('checkout', 'flaky', { body: {} })).resolves.toEqual({ ok: true });
    expect(controller.hits.flaky).toBe(3);
  });

  it.each([
    ['an access control action', 'accessControl:\n    defaultAction: maybe\n', /config\.yaml.*spec\.accessControl\.defaultAction/],
    ['a name resolver', 'nameResolution:\n    component: consul\n', /config\.yaml.*spec\.nameResolution\.component/],
  ])('fails start-up on a malformed Configuration (%s), naming the file and field', async (_what, spec, message) => {
    const dir = folder({ 'config.yaml': `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: bad\nspec:\n  ${spec}` });
    const moduleRef = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'bad', componentsPath: dir })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(message);
    await app.close().catch(() => undefined);
  });
});
