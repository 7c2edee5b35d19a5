import { createServer, type Server, type ServerResponse } from 'node:http';
import {
  InvocationResponseTooLargeError,
  InvocationService,
  InvocationTransportError,
  type DaprModuleOptions,
} from 'nest-dapr';
import { startApp, type RunningApp } from './invocation-harness';

/**
 * Invocation bounds what it reads and how long it waits (issue 13 item 4): a
 * callee that answers too much, never answers, or trickles its answer cannot
 * make a caller buffer without limit or wait for ever.
 */
describe('invocation limits (response size, default deadline)', () => {
  let server: Server;
  let url = '';
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      const path = req.url ?? '';
      if (path.startsWith('/big/')) {
        // Streamed in 64 KiB chunks with no content-length, so the limit applies while reading.
        const total = Number(path.slice(5));
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      } else if (path === '/error-big') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(8 * 1024));
      } else if (path === '/never') {
        // Headers never come.
      } else if (path === '/trickle') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(t));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise((r) => server.close(r));
  });

  const withApp = async (limits: DaprModuleOptions['limits'], run: (inv: InvocationService) => Promise<void>) => {
    const app: RunningApp = await startApp({ appId: 'limits-caller', limits, nameResolution: { component: 'static', configuration: { apps: { peer: url } } } });
    try {
      await run(app.app.get(InvocationService));
    } finally {
      await app.close();
    }
  };

  it('stops reading an answer above the default 4Mi and says so, without retrying', async () => {
    await withApp(undefined, async (inv) => {
      await expect(inv.invoke('peer', 'big/4194304')).resolves.toHaveLength(4 * 1024 * 1024);
      const err = await inv.invoke('peer', 'big/104857600').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationResponseTooLargeError);
      expect(err).toBeInstanceOf(InvocationTransportError);
      expect(err).toMatchObject({ limit: 4 * 1024 * 1024, errorCode: 'ERR_DIRECT_INVOKE', code: 'ERR_RESPONSE_TOO_LARGE' });
    });
  });

  it('applies a configured limit to answers and error bodies alike', async () => {
    await withApp({ maxBodySize: '1Ki' }, async (inv) => {
      await expect(inv.invoke('peer', 'small')).resolves.toEqual({ ok: true });
      await expect(inv.invoke('peer', 'big/65536')).rejects.toBeInstanceOf(InvocationResponseTooLargeError);
      await expect(inv.invoke('peer', 'error-big', { httpMethod: 'POST', body: {} })).rejects.toBeInstanceOf(InvocationResponseTooLargeError);
    });
  });

  it('gives every call a deadline: a callee that never answers or trickles fails with ETIMEDOUT', async () => {
    await withApp({ invokeTimeoutMs: 300 }, async (inv) => {
      for (const method of ['never', 'trickle']) {
        const started = Date.now();
        const err = await inv.invoke('peer', method).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvocationTransportError);
        expect(err).toMatchObject({ code: 'ETIMEDOUT' });
        expect(Date.now() - started).toBeLessThan(2_000);
      }
      // A call's own timeoutMs still wins over the default.
      const started = Date.now();
      await expect(inv.invoke('peer', 'never', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(290);
    });
  });

  it('refuses bad limits at start-up naming the field', async () => {
    await expect(startApp({ appId: 'bad-limits', limits: { maxBodySize: 'lots' }, nameResolution: { component: 'static' } })).rejects.toThrow(/limits\.maxBodySize/);
    await expect(startApp({ appId: 'bad-limits', limits: { invokeTimeoutMs: -1 }, nameResolution: { component: 'static' } })).rejects.toThrow(/limits\.invokeTimeoutMs/);
  });
});
