import { Controller, Get, Param, Post } from '@nestjs/common';
import fc from 'fast-check';
import { connect } from 'node:net';
import { AccessControlPolicy } from '../../libs/dapr/src/invocation/access-control.policy';
import { bodyDigestOf } from '../../libs/dapr/src/invocation/call-proof';
import { CallerIdentity } from '../../libs/dapr/src/invocation/caller-identity';
import { isMalformed, requestTargetOf } from '../../libs/dapr/src/invocation/request-target';
import { startApp, type RunningApp } from '../invocation/invocation-harness';
import { HOSTILE_INVOCATION_PATHS } from './hostile-inputs';

const TOKEN = 'invocation-inputs-spec-token';

/** Every handler run is recorded, so a test can prove a denied handler never ran. */
@Controller()
class FilesController {
  static runs: string[] = [];

  @Get('admin/users')
  listUsers(): string[] {
    FilesController.runs.push('admin');
    return [];
  }

  @Post('admin/users')
  addUser(): object {
    FilesController.runs.push('admin');
    return {};
  }

  @Get('files/:name')
  file(@Param('name') name: string): object {
    FilesController.runs.push(`file:${name}`);
    return { name };
  }
}

const POLICY = {
  defaultAction: 'allow' as const,
  trustDomain: 'public',
  policies: [
    {
      appId: 'order',
      namespace: 'default',
      trustDomain: 'public',
      operations: [
        { name: '/admin/**', httpVerb: ['*'], action: 'deny' as const },
        { name: '/files/secret', httpVerb: ['GET'], action: 'deny' as const },
      ],
    },
  ],
};

/** One raw HTTP/1.1 exchange: request lines and headers exactly as given. */
function raw(url: string, requestLine: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const lines = [`${requestLine} HTTP/1.1`, 'Host: files', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') }));
  });
}

/** Headers of a properly signed call from `order` for exactly this verb and request-target. */
function signedAs(caller: string, requestLine: string): Record<string, string> {
  const [method, target] = requestLine.split(' ');
  const proof = new CallerIdentity(TOKEN).sign({ caller, namespace: '', callee: 'files', method, path: target, bodyDigest: bodyDigestOf(undefined) });
  return { 'dapr-caller-app-id': caller, 'dapr-callee-app-id': 'files', 'dapr-caller-signature': proof };
}

const touchedDenied = () => FilesController.runs.filter((r) => r === 'admin' || r.toLowerCase() === 'file:secret');

describe('hostile invocation requests (HTTP surface of a real Nest app)', () => {
  let files: RunningApp;

  beforeAll(async () => {
    files = await startApp({ appId: 'files', apiToken: TOKEN, accessControl: POLICY, nameResolution: { component: 'static' } }, { controllers: [FilesController] });
  });
  afterAll(() => files?.close());
  beforeEach(() => (FilesController.runs = []));

  it.each(HOSTILE_INVOCATION_PATHS.map((h) => [h.name, h] as const))('%s', async (_name, h) => {
    const res = await raw(files.url, h.requestLine, signedAs('order', h.requestLine));
    expect(res.status).toBe(h.status);
    if (h.errorCode) expect(JSON.parse(res.body)).toMatchObject({ errorCode: h.errorCode });
    expect(touchedDenied()).toEqual([]);
  });

  it('the same requests from an app the policy does not name pass where the router routes them (the denials above are the policy)', async () => {
    const res = await raw(files.url, 'GET /files/%73ecret', signedAs('reporting', 'GET /files/%73ecret'));
    expect(res.status).toBe(200);
    expect(FilesController.runs).toEqual(['file:secret']);
  });

  const claims: [string, Record<string, string>, number][] = [
    ['a bare caller claim', { 'dapr-caller-app-id': 'order' }, 401],
    ['the token itself as dapr-api-token', { 'dapr-caller-app-id': 'order', 'dapr-api-token': TOKEN }, 401],
    ['a v1 (timestamp-only) signature', { 'dapr-caller-app-id': 'order', 'dapr-caller-signature': `t=${Date.now()},v1=${'0'.repeat(64)}` }, 401],
    ['a signature for another callee', { ...signedAs('order', 'GET /files/public'), 'dapr-callee-app-id': 'billing' }, 401],
    ['a 10 KB signature header', { 'dapr-caller-app-id': 'order', 'dapr-caller-signature': 'v2;'.padEnd(10_000, 'A') }, 401],
    ['a claim for another caller than the one signed', { ...signedAs('order', 'GET /files/public'), 'dapr-caller-app-id': 'admin' }, 401],
  ];
  it.each(claims)('refuses %s with 401 ERR_UNAUTHENTICATED', async (_name, headers, status) => {
    const res = await raw(files.url, 'GET /files/public', headers);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ errorCode: 'ERR_UNAUTHENTICATED' });
    expect(FilesController.runs).toEqual([]);
  });

  it('fuzz (fast-check, seed 4242): no spelling of a path reaches a handler the policy denies', async () => {
    const segment = fc.constantFrom('admin', 'ADMIN', 'Admin', '%61dmin', '%41DMIN', 'files', 'FILES', '%66iles', 'secret', 'SECRET', '%73ecret', '%53ecret', 'users', 'Users', 'public', '..', '.', '', '%2e%2e', '%2E', 'x', '%2F', 'a%2Fb');
    const requestLine = fc
      .tuple(fc.constantFrom('GET', 'HEAD', 'POST'), fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.constantFrom('', '?q=1', '?x=%2F'))
      .map(([method, segs, slash, query]) => `${method} /${segs.join('/')}${slash ? '/' : ''}${query}`);
    await fc.assert(
      fc.asyncProperty(requestLine, async (line) => {
        FilesController.runs = [];
        const res = await raw(files.url, line, signedAs('order', line));
        expect([200, 201, 400, 403, 404]).toContain(res.status);
        expect(touchedDenied()).toEqual([]);
      }),
      { seed: 4242, numRuns: 300 },
    );
  }, 120_000);
});

describe('ACL path matcher: fuzz (fast-check, seed 7)', () => {
  const acl = new AccessControlPolicy(POLICY);
  const order = { appId: 'order', namespace: 'default', trustDomain: 'public' };

  it('reads any request-target without throwing, into lower-case readings; the Dapr reading is clean', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webPath(), fc.webUrl()), (url) => {
        const t = requestTargetOf(url);
        if (isMalformed(t)) return;
        for (const p of [t.routerPath, t.daprPath]) {
          expect(p.startsWith('/')).toBe(true);
          expect(p).toBe(p.toLowerCase());
          expect(() => acl.decide(order, 'GET', p)).not.toThrow();
        }
        expect(t.daprPath).not.toMatch(/\/\/|\/\.\.?(\/|$)/);
        // Normalising twice changes nothing.
        const again = requestTargetOf(t.daprPath);
        expect(!isMalformed(again) && again.daprPath).toBe(t.daprPath);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('denies every reading under /admin whatever the case or encoding', () => {
    const word = fc.constantFrom('admin', 'ADMIN', 'AdMiN', '%61dmin', '%41%44%4d%49%4e');
    fc.assert(
      fc.property(word, fc.array(fc.constantFrom('users', 'x', 'Y', '%2F', ''), { maxLength: 3 }), fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE'), (w, rest, verb) => {
        const t = requestTargetOf(`/${[w, ...rest].join('/')}`);
        if (isMalformed(t)) return;
        expect(acl.decide(order, verb, t.daprPath).action).toBe('deny');
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
