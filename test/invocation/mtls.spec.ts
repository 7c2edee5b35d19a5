import type { INestApplication, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import {
  CalleeIdentityError,
  daprHttpsOptions,
  DaprModule,
  InvocationError,
  InvocationService,
  InvocationTransportError,
  MtlsConfigError,
  type DaprModuleOptions,
  type DaprMtlsOptions,
} from 'nest-dapr';
import { NameResolutionService } from '../../libs/dapr/src/invocation/name-resolution.service';
import { issueTrustAnchor, issueWorkloadCertificate, type IssuedCertificate, type WorkloadCertificateOptions } from '../../scripts/certs/x509-issuer';
import { CheckoutClient, CheckoutController } from './checkout.fixture';
import { sqliteResolution, until } from './invocation-harness';

/**
 * Invocation over mutual TLS between real Nest apps on loopback: the caller's
 * id comes from its certificate (no api token anywhere), access control sees
 * that id with its namespace and trust domain, and both sides refuse a peer
 * whose certificate proves the wrong thing.
 */
describe('invocation over mTLS (SPIFFE ids from client certificates)', () => {
  const ca = issueTrustAnchor();
  const rogueCa = issueTrustAnchor({ commonName: 'not our anchor' });
  const issue = (appId: string, more: Partial<WorkloadCertificateOptions> = {}, by: IssuedCertificate = ca) => issueWorkloadCertificate(by, { appId, ...more });
  const mtlsFor = (appId: string): DaprMtlsOptions => {
    const c = issue(appId);
    return { trustAnchors: ca.cert, certChain: c.cert, certKey: c.key };
  };

  interface TlsApp {
    app: INestApplication;
    url: string;
    connections: () => number;
    close(): Promise<void>;
  }

  /** A real Nest app serving HTTPS with daprHttpsOptions(), waiting until it registered when it uses SQLite. */
  async function startTlsApp(options: DaprModuleOptions, parts: { controllers?: Type[]; providers?: Provider[] } = {}): Promise<TlsApp> {
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot(options)],
      controllers: parts.controllers ?? [],
      providers: parts.providers ?? [],
    }).compile();
    const httpsOptions = daprHttpsOptions(options);
    expect(httpsOptions).toBeDefined();
    const app = moduleRef.createNestApplication({ logger: false, httpsOptions });
    let connections = 0;
    // TCP connections, counted before TLS: a client that drops the handshake still shows up.
    (app.getHttpServer() as Server).on('connection', () => connections++);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const names = app.get(NameResolutionService);
    if (names.resolverName === 'sqlite') await until(() => names.address !== undefined, `${options.appId} to register`);
    return { app, url, connections: () => connections, close: () => app.close() };
  }

  /** A raw HTTPS client presenting `cert` (or none), trusting our anchors; host names are not what these tests are about. */
  const agents: Agent[] = [];
  function rawClient(cert?: IssuedCertificate, trust: IssuedCertificate = ca): Agent {
    const agent = new Agent({
      connect: { ca: trust.cert, cert: cert?.cert, key: cert?.key, checkServerIdentity: () => undefined, maxCachedSessions: 0 },
    });
    agents.push(agent);
    return agent;
  }
  async function rawGet(url: string, agent: Agent, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const res = await request(url, { dispatcher: agent, headers });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  }

  const nr = sqliteResolution();
  let checkout: TlsApp;
  let order: TlsApp;
  let intruder: TlsApp;
  let hits: () => number;

  beforeAll(async () => {
    checkout = await startTlsApp(
      {
        appId: 'checkout',
        nameResolution: nr.options,
        mtls: mtlsFor('checkout'),
        accessControl: {
          defaultAction: 'deny',
          trustDomain: 'public',
          policies: [{ appId: 'order', namespace: 'default', defaultAction: 'allow' }],
        },
      },
      { controllers: [CheckoutController] },
    );
    const controller = checkout.app.get(CheckoutController);
    hits = () => Object.values(controller.hits).reduce((a, b) => a + b, 0);
    order = await startTlsApp({ appId: 'order', nameResolution: nr.options, mtls: mtlsFor('order') }, { providers: [CheckoutClient] });
    intruder = await startTlsApp({ appId: 'intruder', nameResolution: nr.options, mtls: mtlsFor('intruder') });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    for (const a of [intruder, order, checkout]) await a?.close();
    nr.cleanup();
  });

  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof InvocationError ? e.status : Promise.reject(e)),
    );

  describe('(a) calls between apps', () => {
    it('invokes over HTTPS and the callee sees the caller id from the certificate, with no api token configured', async () => {
      await expect(order.app.get(InvocationService).invoke('checkout', 'stock/a')).resolves.toMatchObject({ sku: 'a', caller: 'order' });
      const client = order.app.get(CheckoutClient);
      await expect(client.stock('b', 'north')).resolves.toMatchObject({ sku: 'b', warehouse: 'north', caller: 'order' });
      await expect(client.order({ items: ['x', 'y'] }, 'req-1')).resolves.toEqual({ accepted: 2, requestId: 'req-1' });
    });

    it('names the caller from the certificate even when the request carries no caller header', async () => {
      const res = await rawGet(`${checkout.url}/stock/c`, rawClient(issue('order')));
      expect(res).toMatchObject({ status: 200, body: { sku: 'c', caller: 'order' } });
    });
  });

  describe('(b) access control on the certificate identity', () => {
    it('allows the app the policy allows and denies another app with a valid certificate', async () => {
      await expect(statusOf(order.app.get(InvocationService).invoke('checkout', 'stock/a'))).resolves.toBe(200);
      await expect(statusOf(intruder.app.get(InvocationService).invoke('checkout', 'stock/a'))).resolves.toBe(403);
    });

    it('denies a caller without a certificate (global default) and one whose trust domain or namespace differs from the policy', async () => {
      const before = hits();
      expect((await rawGet(`${checkout.url}/stock/a`, rawClient())).status).toBe(403);
      expect((await rawGet(`${checkout.url}/stock/a`, rawClient(issue('order', { trustDomain: 'elsewhere' })))).status).toBe(403);
      expect((await rawGet(`${checkout.url}/stock/a`, rawClient(issue('order', { namespace: 'prod' })))).status).toBe(403);
      expect(hits()).toBe(before);
      // The same request with order's own identity passes: the denials above are about trust domain and namespace.
      expect((await rawGet(`${checkout.url}/stock/a`, rawClient(issue('order')))).status).toBe(200);
    });
  });

  describe('(c) a header cannot contradict the certificate', () => {
    it('rejects a caller whose certificate is for order but whose dapr-caller-app-id says otherwise, with 401', async () => {
      const before = hits();
      const agent = rawClient(issue('order'));
      const res = await rawGet(`${checkout.url}/stock/a`, agent, { 'dapr-caller-app-id': 'admin' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ errorCode: 'ERR_UNAUTHENTICATED' });
      expect(String((res.body as { message: string }).message)).toContain('spiffe://public/ns/default/order');
      expect((await rawGet(`${checkout.url}/stock/a`, agent, { 'dapr-caller-namespace': 'prod' })).status).toBe(401);
      expect(hits()).toBe(before);
      expect((await rawGet(`${checkout.url}/stock/a`, agent, { 'dapr-caller-app-id': 'order' })).status).toBe(200);
    });
  });

  describe('(d) untrusted client certificates', () => {
    it('answers 401 to a certificate from another CA, and to one without a SPIFFE id, without running the handler', async () => {
      const before = hits();
      const forged = await rawGet(`${checkout.url}/stock/a`, rawClient(issue('order', {}, rogueCa)), { 'dapr-caller-app-id': 'order' });
      expect(forged.status).toBe(401);
      expect(String((forged.body as { message: string }).message)).toMatch(/not trusted/);
      const anonymous = await rawGet(`${checkout.url}/stock/a`, rawClient(issue('order', { spiffeId: null, dns: ['localhost'] })));
      expect(anonymous.status).toBe(401);
      expect(String((anonymous.body as { message: string }).message)).toMatch(/no SPIFFE URI/);
      expect(hits()).toBe(before);
    });

    it('a caller whose trust anchors do not include the server CA cannot connect at all', async () => {
      const outsider = await startTlsApp({
        appId: 'order',
        nameResolution: { component: 'static', configuration: { apps: { checkout: checkout.url } } },
        mtls: { trustAnchors: rogueCa.cert, ...pair(issue('order', {}, rogueCa)) },
      });
      try {
        const before = hits();
        const err = await outsider.app.get(InvocationService).invoke('checkout', 'stock/a').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvocationTransportError);
        expect(hits()).toBe(before);
      } finally {
        await outsider.close();
      }
    });
  });

  describe('(e) the caller checks who answers', () => {
    it('refuses a server whose certificate is for another app, never sends the request and does not retry', async () => {
      const billing = await startTlsApp(
        { appId: 'billing', nameResolution: { component: 'static' }, mtls: mtlsFor('billing') },
        { controllers: [CheckoutController] },
      );
      // Name resolution points "checkout" at billing's server: a stale or hijacked address.
      const misrouted = await startTlsApp({
        appId: 'order',
        nameResolution: { component: 'static', configuration: { apps: { checkout: billing.url, billing: billing.url } } },
        mtls: mtlsFor('order'),
        resiliency: {
          policies: { retries: { always: { policy: 'constant', duration: '10ms', maxRetries: 3 } } },
          targets: { apps: { checkout: { retry: 'always' } } },
        },
      });
      try {
        const inv = misrouted.app.get(InvocationService);
        const err = await inv.invoke('checkout', 'stock/a').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CalleeIdentityError);
        expect(err).toBeInstanceOf(InvocationTransportError);
        expect(err).toMatchObject({
          appId: 'checkout',
          code: 'ERR_DAPR_CALLEE_IDENTITY',
          expected: 'spiffe://public/ns/default/checkout',
          presented: 'spiffe://public/ns/default/billing',
        });
        expect(billing.app.get(CheckoutController).hits).toEqual({});
        // One connection: the retry policy that would repeat any other failure did not repeat this one.
        expect(billing.connections()).toBe(1);
        // The same server, invoked by its own id, answers: the refusal was about the identity.
        await expect(inv.invoke('billing', 'stock/a')).resolves.toMatchObject({ sku: 'a', caller: 'order' });
      } finally {
        await misrouted.close();
        await billing.close();
      }
    });
  });

  describe('cross-namespace targets (app.namespace)', () => {
    it("expects the callee's SPIFFE id in the namespace the target names, and sends the bare app id as dapr-callee-app-id", async () => {
      const shopCert = issue('checkout', { namespace: 'shop' });
      const shop = await startTlsApp(
        { appId: 'checkout', namespace: 'shop', nameResolution: { component: 'static' }, mtls: { trustAnchors: ca.cert, ...pair(shopCert) } },
        { controllers: [CheckoutController] },
      );
      const caller = await startTlsApp({
        appId: 'order',
        nameResolution: { component: 'static', configuration: { apps: { 'checkout.shop': shop.url, checkout: shop.url } } },
        mtls: mtlsFor('order'),
      });
      try {
        const inv = caller.app.get(InvocationService);
        await expect(inv.invoke('checkout.shop', 'stock/a')).resolves.toMatchObject({ sku: 'a', caller: 'order', callee: 'checkout' });
        // Without the namespace the caller expects checkout in its own namespace, which this server is not.
        const err = await inv.invoke('checkout', 'stock/a').catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'ERR_DAPR_CALLEE_IDENTITY', expected: 'spiffe://public/ns/default/checkout', presented: 'spiffe://public/ns/shop/checkout' });
      } finally {
        await caller.close();
        await shop.close();
      }
    });
  });

  describe('(f) name resolution', () => {
    it('registers https:// addresses in the SQLite resolver', () => {
      expect(checkout.app.get(NameResolutionService).address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const db = new Database(nr.file, { readonly: true });
      try {
        const rows = db.prepare('SELECT app_id, address FROM hosts ORDER BY app_id').all() as { app_id: string; address: string }[];
        expect(rows.map((r) => r.app_id)).toEqual(['checkout', 'intruder', 'order']);
        for (const r of rows) expect(r.address).toMatch(/^https:\/\//);
      } finally {
        db.close();
      }
    });

    it('takes the certificates from DAPR_TRUST_ANCHORS / DAPR_CERT_CHAIN / DAPR_CERT_KEY files', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-mtls-'));
      const c = issue('shipping');
      const files = { DAPR_TRUST_ANCHORS: join(dir, 'ca.crt'), DAPR_CERT_CHAIN: join(dir, 'shipping.crt'), DAPR_CERT_KEY: join(dir, 'shipping.key') };
      writeFileSync(files.DAPR_TRUST_ANCHORS, ca.cert);
      writeFileSync(files.DAPR_CERT_CHAIN, c.cert);
      writeFileSync(files.DAPR_CERT_KEY, c.key);
      let shipping: TlsApp | undefined;
      try {
        // Only start-up reads the variables; the running app keeps what it loaded.
        shipping = await withEnv(files, () => startTlsApp({ appId: 'shipping', nameResolution: nr.options }, { controllers: [CheckoutController] }));
        expect(shipping.app.get(NameResolutionService).address).toMatch(/^https:\/\//);
        await expect(order.app.get(InvocationService).invoke('shipping', 'stock/z')).resolves.toMatchObject({ caller: 'order' });
      } finally {
        await shipping?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('(g) bad mTLS configuration fails start-up naming the field', () => {
    const compile = (options: Partial<DaprModuleOptions>) =>
      Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'order', nameResolution: { component: 'static' }, ...options })] }).compile();
    const good = () => mtlsFor('order');

    it.each([
      ['a missing file', { certChain: '/nonexistent/order.crt' }, 'mtls.certChain', /cannot read \/nonexistent\/order\.crt \(ENOENT\)/],
      ['a certificate without a SPIFFE id', pair(issue('order', { spiffeId: null, dns: ['order.local'] })), 'mtls.certChain', /no SPIFFE URI/],
      ['PEM that does not parse', { trustAnchors: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n' }, 'mtls.trustAnchors', /does not parse/],
      ['a key that is not the certificate’s', { certKey: issue('order').key }, 'mtls.certKey', /not the private key/],
      ['another app’s certificate', pair(issue('checkout')), 'mtls.certChain', /is for spiffe:\/\/public\/ns\/default\/checkout, but this app is spiffe:\/\/public\/ns\/default\/order/],
      ['a certificate from outside the trust anchors', pair(issue('order', {}, rogueCa)), 'mtls.certChain', /not issued by the CAs in mtls\.trustAnchors/],
      ['a workload certificate given as trust anchor', { trustAnchors: issue('x').cert }, 'mtls.trustAnchors', /not a CA certificate/],
    ])('%s', async (_what, override, field, message) => {
      const err = await compile({ mtls: { ...good(), ...override } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MtlsConfigError);
      expect(err).toMatchObject({ field, errorCode: 'ERR_COMPONENT_CONFIG' });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.startsWith(`${field}: `)).toBe(true);
    });

    it('checks the namespace and trust domain of the id too', async () => {
      const inProd = pair(issue('order', { namespace: 'prod' }));
      await expect(compile({ mtls: { ...good(), ...inProd } })).rejects.toThrow(/this app is spiffe:\/\/public\/ns\/default\/order/);
      await expect(compile({ namespace: 'prod', mtls: { ...good(), ...inProd } })).resolves.toBeDefined();
      const corp = pair(issue('order', { trustDomain: 'corp' }));
      await expect(compile({ mtls: { ...good(), ...corp, trustDomain: 'corp' } })).resolves.toBeDefined();
      await expect(compile({ accessControl: { trustDomain: 'corp' }, mtls: { ...good(), ...corp } })).resolves.toBeDefined();
    });

    it('names the missing variable when only part of the DAPR_* environment is set', async () => {
      await withEnv({ DAPR_TRUST_ANCHORS: ca.cert, DAPR_CERT_KEY: issue('order').key }, async () => {
        const err = await compile({}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MtlsConfigError);
        expect(err).toMatchObject({ field: 'DAPR_CERT_CHAIN' });
        expect(() => daprHttpsOptions({ appId: 'order' })).toThrow(/DAPR_CERT_CHAIN: is not set/);
      });
    });

    it('daprHttpsOptions() is undefined without certificates, so the same bootstrap serves plain HTTP', () => {
      expect(daprHttpsOptions()).toBeUndefined();
      expect(daprHttpsOptions({ appId: 'order', mtls: good() })).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    });
  });
});

function pair(c: IssuedCertificate): { certChain: string; certKey: string } {
  return { certChain: c.cert, certKey: c.key };
}

async function withEnv<T>(vars: Record<string, string>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
