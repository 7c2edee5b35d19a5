import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request } from 'undici';
import {
  IdentityConfigError,
  InvocationError,
  InvocationService,
  issueCredential,
  type DaprIdentityOptions,
} from 'nest-dapr';
import { AppKeySigner } from '../../libs/dapr/src/invocation/app-identity';
import { bodyDigestOf } from '../../libs/dapr/src/invocation/call-proof';
import { CallerIdentity } from '../../libs/dapr/src/invocation/caller-identity';
import { CheckoutController } from './checkout.fixture';
import { startApp, type RunningApp } from './invocation-harness';

const TOKEN = 'caller-keys-spec-shared-token-0123456789';

/** What a man in the middle saw of one request. */
interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Keys mode between real Nest apps: each app signs its calls with its own
 * Ed25519 key, presents the authority's credential for it, and callees check
 * both. Neither a callee nor any address name resolution points to can make
 * calls as the caller from what it receives, and nothing secret travels.
 */
describe('caller identity with per-app keys (keys mode)', () => {
  const authority = generateKeyPairSync('ed25519');
  const authorityPem = authority.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keys = new Map<string, { privateKey: KeyObject; credential: string }>();
  const identityFor = (appId: string): DaprIdentityOptions => {
    let k = keys.get(appId);
    if (!k) {
      const pair = generateKeyPairSync('ed25519');
      k = { privateKey: pair.privateKey, credential: issueCredential(authority.privateKey, pair.publicKey, { trustDomain: 'public', namespace: 'default', appId }, 3600) };
      keys.set(appId, k);
    }
    return { key: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), credential: k.credential, authority: authorityPem };
  };
  const policy = (appId: string) => ({
    defaultAction: 'deny' as const,
    trustDomain: 'public',
    policies: [{ appId, namespace: 'default', trustDomain: 'public', defaultAction: 'allow' as const }],
  });

  let checkout: RunningApp;
  let payments: RunningApp;
  let order: RunningApp;
  let viaProxy: RunningApp;
  let proxy: Server;
  let proxyUrl = '';
  const captured: Captured[] = [];

  beforeAll(async () => {
    // Every app also holds the shared token: with an authority configured, token proofs no longer count.
    payments = await startApp(
      { appId: 'payments', apiToken: TOKEN, identity: identityFor('payments'), accessControl: policy('order'), nameResolution: { component: 'static' } },
      { controllers: [CheckoutController] },
    );
    checkout = await startApp(
      {
        appId: 'checkout',
        apiToken: TOKEN,
        identity: identityFor('checkout'),
        accessControl: policy('order'),
        nameResolution: { component: 'static', configuration: { apps: { payments: payments.url } } },
      },
      { controllers: [CheckoutController] },
    );
    // An address that name resolution hands out for "checkout" but that records and forwards what it gets.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen: Captured = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
        captured.push(seen);
        void replay(checkout.url, seen).then(
          async (answer) => {
            res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') });
            res.end(Buffer.from(await answer.body.arrayBuffer()));
          },
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const apps = { checkout: checkout.url, payments: payments.url };
    order = await startApp({ appId: 'order', apiToken: TOKEN, identity: identityFor('order'), nameResolution: { component: 'static', configuration: { apps } } });
    viaProxy = await startApp({
      appId: 'order',
      apiToken: TOKEN,
      identity: identityFor('order'),
      nameResolution: { component: 'static', configuration: { apps: { ...apps, checkout: proxyUrl } } },
    });
  });

  afterAll(async () => {
    for (const a of [viaProxy, order, payments, checkout]) await a?.close();
    await new Promise((r) => proxy?.close(r));
  });

  /** Sends a captured request again, optionally changed. */
  function replay(base: string, seen: Captured, change: { url?: string; headers?: Record<string, string>; body?: Buffer } = {}) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(seen.headers)) {
      if (v === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const body = change.body ?? seen.body;
    return request(`${base}${change.url ?? seen.url}`, {
      method: seen.method as 'GET',
      headers: { ...headers, ...change.headers },
      body: body.length > 0 || seen.method !== 'GET' ? body : undefined,
    });
  }

  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof InvocationError ? e.status : Promise.reject(e)),
    );

  it('a keys-mode call reaches the callee as the caller', async () => {
    await expect(order.app.get(InvocationService).invoke('checkout', 'stock/a')).resolves.toMatchObject({ sku: 'a', caller: 'order' });
    await expect(order.app.get(InvocationService).invoke('payments', 'orders', { body: { items: ['x'] } })).resolves.toMatchObject({ accepted: 1 });
  });

  it('nothing secret travels: no api token, no private key; only a credential and per-call signatures', async () => {
    captured.length = 0;
    await expect(viaProxy.app.get(InvocationService).invoke('checkout', 'orders', { body: { items: ['a', 'b'] } })).resolves.toMatchObject({ accepted: 2 });
    expect(captured).toHaveLength(1);
    const [seen] = captured;
    expect(seen.headers['dapr-api-token']).toBeUndefined();
    const wire = JSON.stringify(seen.headers) + seen.body.toString();
    expect(wire).not.toContain(TOKEN);
    const key = keys.get('order')!.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    expect(wire).not.toContain(key.toString('base64url'));
    expect(String(seen.headers['dapr-caller-signature'])).toMatch(/^v2;ed25519;\d{13};[\w-]{22};[\w-]{86}, v2;hs256;/);
    expect(seen.headers['dapr-caller-credential']).toBe(keys.get('order')!.credential);
  });

  it('what a man in the middle captured cannot be replayed, re-aimed, or re-used with another body or path', async () => {
    captured.length = 0;
    await viaProxy.app.get(InvocationService).invoke('checkout', 'orders', { body: { items: ['a'] } });
    const [seen] = captured;
    const attempts = [
      replay(checkout.url, seen),
      replay(payments.url, seen),
      replay(payments.url, seen, { headers: { 'dapr-callee-app-id': 'payments' } }),
      replay(checkout.url, seen, { body: Buffer.from('{"items":["a","b","c"]}') }),
      replay(checkout.url, seen, { url: '/orders?all=1' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(401);
      await expect(res.body.json()).resolves.toMatchObject({ errorCode: 'ERR_UNAUTHENTICATED' });
    }
  });

  it('a callee cannot mint calls as its caller — not with the caller credential it saw, not with its own key, not with the shared token', async () => {
    captured.length = 0;
    await viaProxy.app.get(InvocationService).invoke('checkout', 'stock/z');
    const orderCredential = String(captured[0].headers['dapr-caller-credential']);
    const checkoutKey = keys.get('checkout')!;
    const call = { caller: 'order', namespace: '', callee: 'payments', calleeNamespace: '', method: 'GET', path: '/stock/a', bodyDigest: bodyDigestOf(undefined) };
    const asCheckout = new AppKeySigner(orderCredential, checkoutKey.privateKey, { trustDomain: 'public', namespace: 'default', appId: 'order', uri: '' });
    const attempts: Record<string, string>[] = [
      // order's credential, signed with checkout's key
      { 'dapr-caller-credential': orderCredential, 'dapr-caller-signature': asCheckout.sign(call) },
      // checkout's own credential, claiming to be order
      { 'dapr-caller-credential': checkoutKey.credential, 'dapr-caller-signature': asCheckout.sign(call) },
      // the shared token: valid HMAC, but payments verifies callers by key
      { 'dapr-caller-signature': new CallerIdentity(TOKEN).sign(call) },
    ];
    for (const headers of attempts) {
      const res = await request(`${payments.url}/stock/a`, { headers: { 'dapr-caller-app-id': 'order', 'dapr-callee-app-id': 'payments', ...headers } });
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    }
    // checkout calling as itself is proven fine — and payments' policy denies it (403, not 401).
    await expect(statusOf(checkout.app.get(InvocationService).invoke('payments', 'stock/a'))).resolves.toBe(403);
  });

  it('a caller with only the token is refused by a callee that verifies by key', async () => {
    const tokenOnly = await startApp({ appId: 'order', apiToken: TOKEN, nameResolution: { component: 'static', configuration: { apps: { checkout: checkout.url } } } });
    try {
      await expect(statusOf(tokenOnly.app.get(InvocationService).invoke('checkout', 'stock/a'))).resolves.toBe(401);
    } finally {
      await tokenOnly.close();
    }
  });

  it('refuses at start-up a credential issued for another app', async () => {
    await expect(startApp({ appId: 'order', identity: { ...identityFor('payments'), authority: authorityPem }, nameResolution: { component: 'static' } })).rejects.toThrow(
      IdentityConfigError,
    );
  });
});
