import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { component, eventually, freePort, startSidecar, waitForAppChannel, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * What `nest-dapr run` puts on the wire, checked byte for byte against what
 * daprd does, with a bare node:http app (no SDK in between): the requests of
 * the app channel and how the app's answers settle events, the API token in
 * both directions, ETag and metadata headers, CloudEvent passthrough,
 * declarative subscriptions, the input binding probe, Dapr's error answers
 * and a SIGTERM that waits for deliveries in flight.
 */
const run = randomBytes(4).toString('hex');
const appId = `wire-${run}`;
const DAPR_TOKEN = `dapr-${run}`;
const APP_TOKEN = `app-${run}`;

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
/** Per path: how the app answers (status and body); default 200 with no body. */
const answers = new Map<string, (n: number) => { status: number; body?: string; delayMs?: number }>();
const subscriptions = [
  { pubsubname: 'bus', topic: 'plain', route: '/plain' },
  { pubsubname: 'bus', topic: 'notfound', route: '/notfound', deadLetterTopic: 'dead' },
  { pubsubname: 'bus', topic: 'fails', route: '/fails' },
  { pubsubname: 'bus', topic: 'dropped', route: '/dropped', deadLetterTopic: 'dead' },
  { pubsubname: 'bus', topic: 'weird', route: '/weird' },
  { pubsubname: 'bus', topic: 'garbage', route: '/garbage' },
  { pubsubname: 'bus', topic: 'dead', route: '/dead' },
  { pubsubname: 'bus', topic: 'slow', route: '/slow' },
  { pubsubname: 'bus', topic: 'bulky', routes: { default: '/bulky' }, bulkSubscribe: { enabled: true, maxMessagesCount: 2, maxAwaitDurationMs: 100 } },
  { pubsubname: 'bus', topic: 'passthrough', routes: { rules: [{ match: 'event.type == "com.example.custom"', path: '/custom' }], default: '/plain' } },
];

let dir: string;
let app: Server;
let appPort: number;
let sidecar: RunningSidecar;
const count = (path: string) => seen.filter((s) => s.path === path && s.method === 'POST').length;
const posted = (path: string) => seen.filter((s) => s.path === path && s.method === 'POST');

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    seen.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (path === '/dapr/subscribe') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(subscriptions));
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(path === '/wanted' ? 200 : 404);
      res.end();
      return;
    }
    const answer = answers.get(path)?.(seen.filter((s) => s.path === path && s.method === req.method).length) ?? { status: 200 };
    setTimeout(() => {
      res.writeHead(answer.status, answer.body ? { 'content-type': 'application/json' } : {});
      res.end(answer.body);
    }, answer.delayMs ?? 0);
  });
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${sidecar.http}${path}`, { ...init, headers: { 'dapr-api-token': DAPR_TOKEN, ...(init.headers as Record<string, string>) } });
const publish = (topic: string, body: unknown, contentType = 'application/json', query = '') =>
  api(`/v1.0/publish/bus/${topic}${query}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wire-'));
  appPort = await freePort();
  app = createServer(handle);
  await new Promise<void>((r) => app.listen(appPort, '127.0.0.1', () => r()));
  answers.set('/notfound', () => ({ status: 404 }));
  answers.set('/fails', (n) => ({ status: n < 3 ? 500 : 200 }));
  answers.set('/dropped', () => ({ status: 200, body: '{"status":"DROP"}' }));
  answers.set('/weird', (n) => ({ status: 200, body: n < 2 ? '{"status":"MAYBE"}' : '{"status":"SUCCESS"}' }));
  answers.set('/garbage', () => ({ status: 200, body: 'not json at all' }));
  answers.set('/slow', () => ({ status: 200, delayMs: 1500 }));
  answers.set('/bulky', () => ({ status: 200, body: '' }));
  writeResources(join(dir, 'res'), [
    component('bus', 'pubsub.in-memory'),
    component('store', 'state.in-memory'),
    component('wanted', 'bindings.cron', { schedule: '@every 1s' }),
    component('unwanted', 'bindings.cron', { schedule: '@every 1s' }),
    {
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata: { name: 'declared' },
      spec: { pubsubname: 'bus', topic: 'declared', routes: { default: '/declared' } },
    },
  ]);
  sidecar = await startSidecar({
    appId,
    resources: join(dir, 'res'),
    appPort,
    args: ['--max-body-size', '64Ki', '--dapr-graceful-shutdown-seconds', '5'],
    env: { DAPR_API_TOKEN: DAPR_TOKEN, APP_API_TOKEN: APP_TOKEN },
  });
  await waitForAppChannel(sidecar);
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await new Promise((r) => app?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('nest-dapr run on the wire', () => {
  it('asks the app for its subscriptions with its app id and the app token', () => {
    const sub = seen.find((s) => s.path === '/dapr/subscribe')!;
    expect(sub.method).toBe('GET');
    expect(sub.headers['dapr-app-id']).toBe(appId);
    expect(sub.headers['dapr-api-token']).toBe(APP_TOKEN);
  });

  it('requires dapr-api-token on the API but not on the health checks', async () => {
    const denied = await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/metadata`);
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('invalid api token');
    expect((await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/healthz`)).status).toBe(204);
    expect((await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/healthz/outbound`)).status).toBe(204);
    expect((await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/healthz?appid=other`)).status).toBe(500);
    expect((await api('/v1.0/metadata')).status).toBe(200);
  });

  it('delivers a CloudEvent as daprd does: POST to the route, cloudevents content type, trace and token headers', async () => {
    expect((await publish('plain', { order: 1 })).status).toBe(204);
    await eventually('delivery', () => count('/plain'), (n) => n === 1);
    const d = posted('/plain')[0];
    expect(d.headers['content-type']).toBe('application/cloudevents+json');
    expect(d.headers['dapr-api-token']).toBe(APP_TOKEN);
    expect(d.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const ce = JSON.parse(d.body) as Record<string, unknown>;
    expect(ce).toMatchObject({
      specversion: '1.0',
      type: 'com.dapr.event.sent',
      source: appId,
      topic: 'plain',
      pubsubname: 'bus',
      datacontenttype: 'application/json',
      data: { order: 1 },
    });
    expect(ce.id).toEqual(expect.any(String));
    expect(ce.traceparent).toBe(d.headers.traceparent);
    expect(ce).not.toHaveProperty('metadata');
  });

  it('drops on 404 (to the dead-letter topic), retries other failures, DROP goes to the dead-letter topic', async () => {
    await publish('notfound', { n: 'nf' });
    await publish('fails', { n: 'f' });
    await publish('dropped', { n: 'd' });
    await eventually('retries until 200', () => count('/fails'), (n) => n === 3);
    await eventually('two dead letters', () => posted('/dead').map((s) => (JSON.parse(s.body) as { data: { n: string } }).data.n).sort(), (v) => v.length === 2);
    expect(posted('/dead').map((s) => (JSON.parse(s.body) as { data: { n: string } }).data.n).sort()).toEqual(['d', 'nf']);
    await new Promise((r) => setTimeout(r, 500));
    expect(count('/notfound')).toBe(1);
    expect(count('/dropped')).toBe(1);
    expect(count('/fails')).toBe(3);
  });

  it('retries an unknown status, and takes a 2xx body that is not JSON as SUCCESS', async () => {
    await publish('weird', { n: 1 });
    await publish('garbage', { n: 1 });
    await eventually('retried weird', () => count('/weird'), (n) => n === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(count('/weird')).toBe(2);
    expect(count('/garbage')).toBe(1);
  });

  it('passes an application/cloudevents+json body through, routing on its own type', async () => {
    const ce = { specversion: '1.0', id: `my-id-${run}`, source: 'elsewhere', type: 'com.example.custom', datacontenttype: 'application/json', data: { x: 1 }, extra: 'kept' };
    expect((await publish('passthrough', ce, 'application/cloudevents+json')).status).toBe(204);
    await eventually('custom route', () => count('/custom'), (n) => n === 1);
    expect(JSON.parse(posted('/custom')[0].body)).toMatchObject({ ...ce, topic: 'passthrough', pubsubname: 'bus' });
  });

  it('sends bulk deliveries as one envelope per batch and retries the entries the app left out', async () => {
    answers.set('/bulky', (n) => {
      const last = posted('/bulky')[n - 1];
      const entries = (JSON.parse(last.body) as { entries: { entryId: string; event: { data: { n: number } } }[] }).entries;
      // Acknowledge only even numbers the first time round; everything afterwards.
      const statuses = entries.filter((e) => n > 1 || e.event.data.n % 2 === 0).map((e) => ({ entryId: e.entryId, status: 'SUCCESS' }));
      return { status: 200, body: JSON.stringify({ statuses }) };
    });
    await publish('bulky', { n: 1 });
    await publish('bulky', { n: 2 });
    await eventually('bulk batches', () => posted('/bulky').flatMap((s) => (JSON.parse(s.body) as { entries: unknown[] }).entries), (e) => e.length >= 3);
    const first = JSON.parse(posted('/bulky')[0].body) as Record<string, unknown> & { entries: { contentType: string; event: { data: unknown } }[] };
    expect(first).toMatchObject({ type: 'com.dapr.event.sent.bulk', topic: 'bulky', pubsubname: 'bus' });
    expect(posted('/bulky')[0].headers['content-type']).toBe('application/json');
    expect(first.entries[0].contentType).toBe('application/cloudevents+json');
    const redelivered = posted('/bulky').slice(1).flatMap((s) => (JSON.parse(s.body) as { entries: { event: { data: { n: number } } }[] }).entries.map((e) => e.event.data.n));
    expect(redelivered).toContain(1);
    expect(redelivered).not.toContain(2);
  });

  it('delivers declarative subscriptions from the resources folder', async () => {
    await publish('declared', 'text body', 'text/plain');
    await eventually('declared', () => count('/declared'), (n) => n === 1);
    expect(JSON.parse(posted('/declared')[0].body)).toMatchObject({ data: 'text body', datacontenttype: 'text/plain' });
  });

  it('reads only the input bindings whose OPTIONS probe the app answers', async () => {
    await eventually('cron events', () => count('/wanted'), (n) => n >= 1, 5000);
    expect(seen.some((s) => s.method === 'OPTIONS' && s.path === '/unwanted')).toBe(true);
    expect(count('/unwanted')).toBe(0);
    expect(posted('/wanted')[0].headers['content-type']).toBe('application/json');
  });

  it('passes invocations to the app with Dapr headers and returns status, headers and body', async () => {
    answers.set('/orders/7', () => ({ status: 201, body: '{"created":true}' }));
    const res = await api(`/v1.0/invoke/${appId}/method/orders/7?full=1`, { method: 'PUT', body: 'payload', headers: { 'x-trace-me': 'yes', 'content-type': 'text/plain' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ created: true });
    const req = seen.filter((s) => s.path === '/orders/7').at(-1)!;
    expect(req).toMatchObject({ method: 'PUT', body: 'payload' });
    expect(req.headers).toMatchObject({ 'x-trace-me': 'yes', 'content-type': 'text/plain', 'dapr-caller-app-id': appId, 'dapr-api-token': APP_TOKEN });
  });

  it('answers state reads with the ETag header and takes If-Match on delete', async () => {
    expect((await api('/v1.0/state/store', { method: 'POST', body: JSON.stringify([{ key: 'k', value: { v: 1 } }]) })).status).toBe(204);
    const got = await api('/v1.0/state/store/k');
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/json');
    const etag = got.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect(await got.json()).toEqual({ v: 1 });
    const bad = await api('/v1.0/state/store/k', { method: 'DELETE', headers: { 'if-match': 'not-it' } });
    expect(bad.status).toBe(409);
    expect(await bad.json()).toMatchObject({ errorCode: 'ERR_STATE_DELETE' });
    expect((await api('/v1.0/state/store/k', { method: 'DELETE', headers: { 'if-match': etag } })).status).toBe(204);
    expect((await api('/v1.0/state/store/k')).status).toBe(204);
  });

  it('answers Dapr errors: bad bodies, keys with ||, unknown routes and verbs, bodies over --max-body-size', async () => {
    const malformed = await api('/v1.0/state/store', { method: 'POST', body: '{nope' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
    const noKey = await api('/v1.0/state/store', { method: 'POST', body: JSON.stringify([{ value: 1 }]) });
    expect(await noKey.json()).toEqual({ errorCode: 'ERR_MALFORMED_REQUEST', message: '"key" is a required field' });
    const pipes = await api('/v1.0/state/store', { method: 'POST', body: JSON.stringify([{ key: 'a||b', value: 1 }]) });
    expect(pipes.status).toBe(400);
    expect((await api('/v1.0/nothing-here')).status).toBe(404);
    expect((await api('/v1.0/state/store', { method: 'DELETE' })).status).toBe(405);
    const big = await api('/v1.0/state/store', { method: 'POST', body: JSON.stringify([{ key: 'big', value: 'x'.repeat(70 * 1024) }]) });
    expect(big.status).toBe(413);
    const badRaw = await publish('plain', { a: 1 }, 'application/json', '?metadata.rawPayload=maybe');
    expect(badRaw.status).toBe(400);
    expect(await badRaw.json()).toMatchObject({ errorCode: 'ERR_PUBSUB_REQUEST_METADATA' });
    const noTopic = await api('/v1.0/publish/bus', { method: 'POST', body: '{}' });
    expect(noTopic.status).toBe(404);
    expect(await noTopic.json()).toMatchObject({ errorCode: 'ERR_TOPIC_NAME_EMPTY' });
  });

  it('on SIGTERM stops intake, lets the delivery in flight finish, then exits 0', async () => {
    await publish('slow', { n: 1 });
    await eventually('slow delivery started', () => count('/slow'), (n) => n === 1);
    const started = Date.now();
    const code = await sidecar.stop();
    expect(code).toBe(0);
    // The app's answer took 1.5 s: the sidecar waited for it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    await new Promise((r) => setTimeout(r, 300));
    expect(count('/slow')).toBe(1);
  });
});
