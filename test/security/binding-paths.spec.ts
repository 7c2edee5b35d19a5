import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BindingRequestError, BindingsService, DaprModule } from 'nest-dapr';
import { HOSTILE_FILE_NAMES } from './hostile-inputs';

/**
 * Hostile paths on output bindings: localstorage file names that would leave
 * rootPath (refused for every operation, nothing outside touched), and
 * bindings.http `path` metadata that would change the host or inject headers.
 */
describe('hostile binding paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'nest-dapr-hostile-ls-'));
  const outside = mkdtempSync(join(tmpdir(), 'nest-dapr-hostile-outside-'));
  let app: TestingModule;
  let bindings: BindingsService;
  let server: Server;
  const seen: { url?: string; host?: string }[] = [];

  beforeAll(async () => {
    writeFileSync(join(outside, 'keep.txt'), 'keep');
    symlinkSync(join(outside, 'keep.txt'), join(root, 'link-to-outside'));
    server = createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host });
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`;
    app = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'binding-paths',
          components: [
            { name: 'files', type: 'bindings.localstorage', metadata: { rootPath: root } },
            { name: 'web', type: 'bindings.http', metadata: { url: base } },
          ],
        }),
      ],
    }).compile();
    await app.init();
    bindings = app.get(BindingsService);
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server?.close(r));
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const rows = [...HOSTILE_FILE_NAMES, { name: 'a symlink inside rootPath pointing out', fileName: 'link-to-outside', reason: /symlink|outside rootPath/ }];
  it.each(rows.map((h) => [h.name, h] as const))('localstorage refuses %s for create, get, delete and list', async (_name, h) => {
    for (const op of ['create', 'get', 'delete', 'list']) {
      const err = await bindings.invoke('files', op, 'pwned', { fileName: h.fileName }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // list of a single file that resolves outside is refused too; create through the link as well.
      expect(err).toBeInstanceOf(BindingRequestError);
      expect(err).toMatchObject({ errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: expect.stringMatching(h.reason) });
    }
    expect(readdirSync(outside)).toEqual(['keep.txt']);
  });

  it('bindings.http keeps every path on the configured host', async () => {
    seen.length = 0;
    for (const path of ['//evil.example/x', '@evil.example/x', '../../admin', 'http://evil.example/x']) {
      await bindings.invoke('web', 'get', undefined, { path });
    }
    expect(seen.map((s) => s.host)).toEqual(Array(4).fill(seen[0].host));
    expect(seen[0].host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('bindings.http: CR/LF in a path cannot inject a header or change the host (WHATWG URL drops them)', async () => {
    seen.length = 0;
    await bindings.invoke('web', 'get', undefined, { path: 'x\r\nHost: evil.example\r\nX-Evil: 1' });
    expect(seen).toHaveLength(1);
    expect(seen[0].host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen[0].url).not.toMatch(/[\r\n]/);
  });
});
