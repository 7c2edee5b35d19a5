import { Body, Controller, Get, Headers, Logger, Param, Post } from '@nestjs/common';
import { connect } from 'node:net';
import { request } from 'undici';
import { InvocationError, InvocationService, type InvokeHttpMethod } from 'nest-dapr';
import { bodyDigestOf } from '../../libs/dapr/src/invocation/call-proof';
import { CallerIdentity } from '../../libs/dapr/src/invocation/caller-identity';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, sqliteResolution, startApp, type RunningApp } from './invocation-harness';

/** Routes whose policy denies /admin/** and GET /files/secret; every handler run is counted. */
@Controller()
class FilesController {
  runs: string[] = [];

  @Get('admin/users')
  listUsers(): string[] {
    this.runs.push('GET admin/users');
    return ['root'];
  }

  @Post('admin/users')
  addUser(): { ok: boolean } {
    this.runs.push('POST admin/users');
    return { ok: true };
  }

  /** Bodies no parser reads (bytes, text) reach the handler as the Buffer the guard hashed. */
  @Post('files/:name')
  upload(@Param('name') name: string, @Body() body: unknown): { name: string; bytes: number | string } {
    this.runs.push(`POST files/${name}`);
    return { name, bytes: Buffer.isBuffer(body) ? body.toString('latin1') : typeof body };
  }

  @Get('files/:name')
  file(@Param('name') name: string, @Headers() h: Record<string, string>): { name: string; caller?: string; namespace?: string } {
    this.runs.push(`GET files/${name}`);
    return { name, caller: h['dapr-caller-app-id'], namespace: h['dapr-caller-namespace'] };
  }
}

/** One raw HTTP/1.1 exchange, so request lines undici would never send (absolute-form) can be tested. */
function rawRequest(url: string, lines: string[]): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') }));
  });
}

/** Access control on the callee: allow/deny by app, path pattern and verb; forged identities rejected. */
describe('invocation access control and caller identity', () => {
  const nr = sqliteResolution();
  let checkout: RunningApp;
  let files: RunningApp;
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
              namespace: 'default',
              trustDomain: 'public',
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
    files = await startApp(
      {
        appId: 'files',
        apiToken: API_TOKEN,
        nameResolution: nr.options,
        accessControl: {
          defaultAction: 'allow',
          trustDomain: 'public',
          policies: [
            {
              appId: 'order',
              namespace: 'default',
              trustDomain: 'public',
              operations: [
                { name: '/admin/**', httpVerb: ['*'], action: 'deny' },
                { name: '/files/secret', httpVerb: ['GET'], action: 'deny' },
              ],
            },
          ],
        },
      },
      { controllers: [FilesController] },
    );
    // Same routes, no access control: plain HTTP stays open.
    open = await startApp({ appId: 'open-shop', apiToken: API_TOKEN, nameResolution: nr.options }, { controllers: [CheckoutController] });
    order = await startApp({ appId: 'order', apiToken: API_TOKEN, nameResolution: nr.options });
    intruder = await startApp({ appId: 'intruder', apiToken: API_TOKEN, nameResolution: nr.options });
  });

  afterAll(async () => {
    for (const a of [intruder, order, open, files, checkout]) await a?.close();
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

  describe('the guard decides on the path, verb and case the router dispatches (issue 13 item 1)', () => {
    const ctl = () => files.app.get(FilesController);

    it('denies /admin/** in any letter case, for every verb, and runs no handler', async () => {
      const inv = order.app.get(InvocationService);
      ctl().runs = [];
      await expect(statusOf(inv.invoke('files', 'ADMIN/users'))).resolves.toBe(403);
      await expect(statusOf(inv.invoke('files', 'ADMIN/users', { httpMethod: 'POST', body: { name: 'eve' } }))).resolves.toBe(403);
      await expect(statusOf(inv.invoke('files', 'Admin/Users/'))).resolves.toBe(403);
      expect(ctl().runs).toEqual([]);
    });

    it('decodes the path before matching, as Express decodes the parameter the handler gets', async () => {
      const inv = order.app.get(InvocationService);
      ctl().runs = [];
      for (const spelling of ['files/%73ecret', 'files/SECRET', 'files/%53%45%43%52%45%54']) {
        await expect(statusOf(inv.invoke('files', spelling))).resolves.toBe(403);
      }
      // A literal route segment is not decoded by Express: this one is not routed at all (or denied).
      expect(await statusOf(inv.invoke('files', '%66iles/secret'))).not.toBe(200);
      expect(ctl().runs).toEqual([]);
      // The operation is GET only: other names pass.
      await expect(inv.invoke('files', 'files/public')).resolves.toMatchObject({ name: 'public', caller: 'order' });
    });

    it('decides HEAD as the GET handler Express runs for it', async () => {
      ctl().runs = [];
      await expect(statusOf(order.app.get(InvocationService).invoke('files', 'files/secret', { httpMethod: 'HEAD' as InvokeHttpMethod }))).resolves.toBe(403);
      expect(ctl().runs).toEqual([]);
    });

    it('refuses an absolute-form request line with 400 even when it is properly signed', async () => {
      ctl().runs = [];
      const target = 'http://evil/admin/users';
      const proof = new CallerIdentity(API_TOKEN).sign({
        caller: 'order',
        namespace: '',
        callee: 'files',
        method: 'GET',
        path: target,
        bodyDigest: bodyDigestOf(undefined),
      });
      const res = await rawRequest(files.url, [
        `GET ${target} HTTP/1.1`,
        'Host: evil',
        'Connection: close',
        'dapr-caller-app-id: order',
        'dapr-callee-app-id: files',
        `dapr-caller-signature: ${proof}`,
      ]);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
      expect(ctl().runs).toEqual([]);
    });

    it('denies dot-segment and encoded-slash spellings that Dapr would normalise onto a denied path', async () => {
      const inv = order.app.get(InvocationService);
      for (const spelling of ['files/..%2Fadmin/users', 'x/..%2Fadmin%2Fusers']) {
        expect(await statusOf(inv.invoke('files', spelling))).not.toBe(200);
      }
      expect(ctl().runs).toEqual([]);
    });
  });

  describe('the proof covers the body (item 13)', () => {
    it('hashes bodies no parser reads (bytes, text) and hands them to the handler', async () => {
      const inv = order.app.get(InvocationService);
      await expect(inv.invoke('files', 'files/blob', { body: Buffer.from([1, 2, 3, 255]) })).resolves.toEqual({ name: 'blob', bytes: '\u0001\u0002\u0003ÿ' });
      await expect(inv.invoke('files', 'files/note', { body: 'plain words' })).resolves.toEqual({ name: 'note', bytes: 'plain words' });
      await expect(inv.invoke('files', 'files/doc', { body: { a: 1 } })).resolves.toEqual({ name: 'doc', bytes: 'object' });
    });

    it('reads an unparsed signed body only up to limits.maxBodySize (413 beyond)', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024, 1);
      const proof = new CallerIdentity(API_TOKEN).sign({ caller: 'order', namespace: '', callee: 'files', method: 'POST', path: '/files/big', bodyDigest: bodyDigestOf(big) });
      const res = await request(`${files.url}/files/big`, {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'application/octet-stream', 'dapr-caller-app-id': 'order', 'dapr-callee-app-id': 'files', 'dapr-caller-signature': proof },
      }).catch((e: unknown) => e as Error);
      // The guard stops reading and closes the connection: a 413, or a reset if the client was still sending.
      if ('statusCode' in res) {
        expect(res.statusCode).toBe(413);
        await res.body.dump();
      }
      expect(files.app.get(FilesController).runs).not.toContain('POST files/big');
    });

    it('refuses a signed request whose body was changed on the way', async () => {
      const identity = new CallerIdentity(API_TOKEN);
      for (const [contentType, sent, signedFor] of [
        ['application/json', '{"amount":1000}', '{"amount":10}'],
        ['application/octet-stream', 'BBBB', 'AAAA'],
      ]) {
        const proof = identity.sign({ caller: 'order', namespace: '', callee: 'files', method: 'POST', path: '/files/pay', bodyDigest: bodyDigestOf(signedFor) });
        const res = await request(`${files.url}/files/pay`, {
          method: 'POST',
          body: sent,
          headers: { 'content-type': contentType, 'dapr-caller-app-id': 'order', 'dapr-callee-app-id': 'files', 'dapr-caller-signature': proof },
        });
        expect(res.statusCode).toBe(401);
        await res.body.dump();
      }
    });
  });

  describe('unverified caller headers never reach handlers (item 10)', () => {
    it('removes dapr-caller-namespace (and the app id) when nothing proves them', async () => {
      const res = await request(`${files.url}/files/public`, { headers: { 'dapr-caller-namespace': 'prod' } });
      expect(res.statusCode).toBe(200);
      await expect(res.body.json()).resolves.toEqual({ name: 'public' });
    });
  });

  it('warns at start-up when app policies can never apply because no caller can be verified (item 11)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const blind = await startApp({
      appId: 'blind',
      nameResolution: { component: 'static' },
      accessControl: { defaultAction: 'deny', policies: [{ appId: 'order', namespace: 'default', trustDomain: 'public', defaultAction: 'allow' }] },
    });
    try {
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(
        expect.arrayContaining([expect.stringMatching(/app policies, but blind can verify no caller.*global default/)]),
      );
    } finally {
      warn.mockRestore();
      await blind.close();
    }
  });

  describe('forged caller ids', () => {
    const proofFor = (identity: CallerIdentity, path: string, at?: number) =>
      identity.sign({ caller: 'order', namespace: '', callee: 'checkout', method: 'GET', path, bodyDigest: bodyDigestOf(undefined) }, at);
    const forge = (url: string, headers: Record<string, string>) =>
      request(`${url}/stock/a`, { headers: { 'dapr-caller-app-id': 'order', 'dapr-callee-app-id': 'checkout', ...headers } });

    it('rejects a bare dapr-caller-app-id header with 401', async () => {
      const res = await forge(checkout.url, {});
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    });

    it('rejects the token itself, a missing signature, one for another path, by another key, stale, or for another callee', async () => {
      const identity = new CallerIdentity(API_TOKEN);
      const attempts: Record<string, string>[] = [
        { 'dapr-api-token': API_TOKEN },
        { 'dapr-caller-signature': proofFor(identity, '/stock/b') },
        { 'dapr-caller-signature': proofFor(new CallerIdentity('not-the-token'), '/stock/a') },
        { 'dapr-caller-signature': proofFor(identity, '/stock/a', Date.now() - 120_000) },
        { 'dapr-caller-signature': proofFor(identity, '/stock/a'), 'dapr-callee-app-id': 'payments' },
      ];
      for (const headers of attempts) {
        const res = await forge(checkout.url, headers);
        expect(res.statusCode).toBe(401);
        await res.body.dump();
      }
    });

    it('accepts a proof made with the shared token once, and refuses its replay', async () => {
      const proof = proofFor(new CallerIdentity(API_TOKEN), '/stock/a');
      const res = await forge(checkout.url, { 'dapr-caller-signature': proof });
      expect(res.statusCode).toBe(200);
      await expect(res.body.json()).resolves.toMatchObject({ caller: 'order' });
      const replay = await forge(checkout.url, { 'dapr-caller-signature': proof });
      expect(replay.statusCode).toBe(401);
      await expect(replay.body.json()).resolves.toMatchObject({ message: expect.stringMatching(/replay/) });
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
