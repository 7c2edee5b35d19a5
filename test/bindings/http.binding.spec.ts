import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestingModule } from '@nestjs/testing';
import { BindingsService, HttpBindingStatusError } from 'nest-dapr';
import { bootBindingsApp } from './bindings-test-app';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('bindings.http (against a local HTTP server)', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let app: TestingModule;
  let bindings: BindingsService;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url?.includes('/missing')) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here');
          return;
        }
        if (req.url?.startsWith('/big')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(4096, 1));
          return;
        }
        res.setHeader('x-multi', ['a', 'b']);
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ method: req.method, url: req.url, echo: body || null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = await bootBindingsApp([
      { name: 'api', type: 'bindings.http', metadata: { url: `${base}/api`, securityToken: 's3cr3t-token', securityTokenHeader: 'X-Token' } },
      { name: 'lenient', type: 'bindings.http', metadata: { url: base, errorIfNot2XX: false } },
      { name: 'small', type: 'bindings.http', metadata: { url: base, maxResponseBodySize: '1Ki' } },
    ]);
    bindings = app.get(BindingsService);
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server.close(r));
  });

  it('maps every verb operation to the HTTP method, with path metadata and capitalised keys as headers', async () => {
    const ops = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
    for (const op of ops) {
      seen.length = 0;
      const res = await bindings.invoke('api', op, op === 'get' || op === 'head' ? undefined : { op }, {
        path: '/orders/7',
        'X-Request-Id': `req-${op}`,
        lowercase: 'not-a-header',
      });
      const method = op === 'create' ? 'POST' : op.toUpperCase();
      expect(seen[0].method).toBe(method);
      expect(seen[0].url).toBe('/api/orders/7');
      expect(seen[0].headers['x-request-id']).toBe(`req-${op}`);
      expect(seen[0].headers.lowercase).toBeUndefined();
      expect(seen[0].headers['x-token']).toBe('s3cr3t-token');
      expect(seen[0].headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.metadata.statusCode).toBe(method === 'POST' ? '201' : '200');
      expect(res.metadata['X-Multi']).toBe('a, b');
      expect(res.metadata['Content-Type']).toBe('application/json');
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) expect(JSON.parse(seen[0].body)).toEqual({ op });
      if (method !== 'HEAD') expect(res.data).toMatchObject({ method, url: '/api/orders/7' });
    }
  });

  it('errors on non-2xx unless errorIfNot2XX is false', async () => {
    const err = await bindings.invoke('api', 'get', undefined, { path: '/missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpBindingStatusError);
    expect((err as HttpBindingStatusError).statusCode).toBe(404);
    expect((err as HttpBindingStatusError).metadata.statusCode).toBe('404');

    const ok = await bindings.invoke('lenient', 'get', undefined, { path: 'missing' });
    expect(ok.metadata.statusCode).toBe('404');
    expect(ok.data).toBe('nothing here');
  });

  it('enforces maxResponseBodySize', async () => {
    await expect(bindings.invoke('small', 'get', undefined, { path: 'big' })).rejects.toThrow(/exceeds maxResponseBodySize \(1024 bytes\)/);
    await expect(bindings.invoke('small', 'get', undefined, { path: 'ok' })).resolves.toMatchObject({ metadata: { statusCode: '200' } });
  });

  it('forwards the trace context it puts in the request metadata as traceparent', async () => {
    seen.length = 0;
    await bindings.invoke('lenient', 'post', { a: 1 }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(seen[0].headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });
});
