import { request } from 'undici';
import { InvocationError, InvocationService } from 'nest-dapr';
import { CallerIdentity } from '../../libs/dapr/src/invocation/caller-identity';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, sqliteResolution, startApp, type RunningApp } from './invocation-harness';

/** Access control on the callee: allow/deny by app, path pattern and verb; forged identities rejected. */
describe('invocation access control and caller identity', () => {
  const nr = sqliteResolution();
  let checkout: RunningApp;
  let open: RunningApp;
  let order: RunningApp;
  let intruder: RunningApp;

  beforeAll(async () => {
    checkout = await startApp(
      {
        appId: 'checkout',
        apiToken: API_TOKEN,
        nameResolution: nr.options,
        accessControl: {
          defaultAction: 'deny',
          trustDomain: 'public',
          policies: [
            {
              appId: 'order',
              defaultAction: 'deny',
              operations: [
                { name: '/stock/*', httpVerb: ['GET'], action: 'allow' },
                { name: '/orders', httpVerb: ['POST'], action: 'allow' },
                { name: '/admin/**', httpVerb: ['*'], action: 'deny' },
              ],
            },
          ],
        },
      },
      { controllers: [CheckoutController] },
    );
    // Same routes, no access control: plain HTTP stays open.
    open = await startApp({ appId: 'open-shop', apiToken: API_TOKEN, nameResolution: nr.options }, { controllers: [CheckoutController] });
    order = await startApp({ appId: 'order', apiToken: API_TOKEN, nameResolution: nr.options });
    intruder = await startApp({ appId: 'intruder', apiToken: API_TOKEN, nameResolution: nr.options });
  });

  afterAll(async () => {
    for (const a of [intruder, order, open, checkout]) await a?.close();
    nr.cleanup();
  });

  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof InvocationError ? e.status : Promise.reject(e)),
    );

  it('allows an operation and verb the app policy lists', async () => {
    const inv = order.app.get(InvocationService);
    await expect(inv.invoke('checkout', 'stock/a')).resolves.toMatchObject({ sku: 'a', caller: 'order' });
    await expect(inv.invoke('checkout', 'orders', { body: { items: ['x'] } })).resolves.toMatchObject({ accepted: 1 });
  });

  it("denies a verb the operation does not list (the app's default action applies)", async () => {
    await expect(statusOf(order.app.get(InvocationService).invoke('checkout', 'stock/a', { httpMethod: 'POST', body: {} }))).resolves.toBe(403);
  });

  it('denies a ** pattern at any depth', async () => {
    await expect(statusOf(order.app.get(InvocationService).invoke('checkout', 'admin/x/y'))).resolves.toBe(403);
  });

  it('denies an app without a policy (global default)', async () => {
    await expect(statusOf(intruder.app.get(InvocationService).invoke('checkout', 'stock/a'))).resolves.toBe(403);
  });

  it('denies unverified plain requests when the global default is deny, but leaves apps without access control open', async () => {
    expect((await request(`${checkout.url}/stock/a`)).statusCode).toBe(403);
    const plain = await request(`${open.url}/stock/a`);
    expect(plain.statusCode).toBe(200);
    await expect(plain.body.json()).resolves.toMatchObject({ sku: 'a' });
  });

  describe('forged caller ids', () => {
    const forge = (url: string, headers: Record<string, string>) =>
      request(`${url}/stock/a`, { headers: { 'dapr-caller-app-id': 'order', 'dapr-callee-app-id': 'checkout', ...headers } });

    it('rejects a bare dapr-caller-app-id header with 401', async () => {
      const res = await forge(checkout.url, {});
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    });

    it('rejects a wrong api token and a missing or replayed signature', async () => {
      const identity = new CallerIdentity(API_TOKEN);
      const sigForOtherPath = identity.sign({ caller: 'order', callee: 'checkout', namespace: '', method: 'GET', path: '/stock/b' });
      const sigByWrongKey = new CallerIdentity('not-the-token').sign({ caller: 'order', callee: 'checkout', namespace: '', method: 'GET', path: '/stock/a' });
      const stale = identity.sign({ caller: 'order', callee: 'checkout', namespace: '', method: 'GET', path: '/stock/a' }, Date.now() - 120_000);
      const attempts: Record<string, string>[] = [
        { 'dapr-api-token': 'guess' },
        { 'dapr-api-token': API_TOKEN },
        { 'dapr-api-token': API_TOKEN, 'dapr-caller-signature': sigForOtherPath },
        { 'dapr-api-token': API_TOKEN, 'dapr-caller-signature': sigByWrongKey },
        { 'dapr-api-token': API_TOKEN, 'dapr-caller-signature': stale },
      ];
      for (const headers of attempts) {
        const res = await forge(checkout.url, headers);
        expect(res.statusCode).toBe(401);
        await res.body.dump();
      }
    });

    it('accepts the same request when it is signed with the shared token (so the rejections above are about the proof)', async () => {
      const sig = new CallerIdentity(API_TOKEN).sign({ caller: 'order', callee: 'checkout', namespace: '', method: 'GET', path: '/stock/a' });
      const res = await forge(checkout.url, { 'dapr-api-token': API_TOKEN, 'dapr-caller-signature': sig });
      expect(res.statusCode).toBe(200);
      await expect(res.body.json()).resolves.toMatchObject({ caller: 'order' });
    });

    it('an app with another token cannot claim an allowed id', async () => {
      const rogue = await startApp({ appId: 'order', apiToken: 'rogue-token', nameResolution: { component: 'static', configuration: { apps: { checkout: checkout.url } } } });
      try {
        await expect(statusOf(rogue.app.get(InvocationService).invoke('checkout', 'stock/a'))).resolves.toBe(401);
      } finally {
        await rogue.close();
      }
    });
  });
});
