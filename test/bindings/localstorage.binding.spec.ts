import { Injectable } from '@nestjs/common';
import { mkdtempSync, existsSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import {
  BindingNotFoundError,
  BindingOperationNotSupportedError,
  BindingRequestError,
  BindingsService,
  DaprModule,
  OnBinding,
} from 'nest-dapr';
import { Test } from '@nestjs/testing';
import { bootBindingsApp } from './bindings-test-app';

describe('bindings.localstorage + BindingsService', () => {
  let root: string;
  let outside: string;
  let app: TestingModule;
  let bindings: BindingsService;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dapr-ls-'));
    outside = mkdtempSync(join(tmpdir(), 'dapr-ls-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    app = await bootBindingsApp([{ name: 'files', type: 'bindings.localstorage', metadata: { rootPath: root } }]);
    bindings = app.get(BindingsService);
  });
  afterAll(() => app?.close());

  it('create / get / list / delete round-trip values like Dapr', async () => {
    const created = await bindings.invoke<{ fileName: string }>('files', 'create', { id: 1, items: ['a'] }, { fileName: 'orders/1.json' });
    expect(created.data).toEqual({ fileName: 'orders/1.json' });
    expect(readFileSync(join(root, 'orders/1.json'), 'utf8')).toBe('{"id":1,"items":["a"]}');

    // A JSON string is unquoted before writing, as Dapr does.
    await bindings.invoke('files', 'create', 'hello world', { fileName: 'greeting.txt' });
    expect(readFileSync(join(root, 'greeting.txt'), 'utf8')).toBe('hello world');

    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    await bindings.invoke('files', 'create', bytes, { fileName: 'blob.bin' });

    await expect(bindings.invoke('files', 'get', undefined, { fileName: 'orders/1.json' })).resolves.toMatchObject({
      data: { id: 1, items: ['a'] },
    });
    await expect(bindings.invoke('files', 'get', undefined, { fileName: 'greeting.txt' })).resolves.toMatchObject({ data: 'hello world' });
    const blob = await bindings.invoke<Buffer>('files', 'get', undefined, { fileName: 'blob.bin' });
    expect(Buffer.compare(blob.data, bytes)).toBe(0);

    // Paths relative to rootPath: Dapr lists absolute host paths, which tell a caller where the files live.
    const list = await bindings.invoke<string[]>('files', 'list');
    expect(list.data).toEqual(['blob.bin', 'greeting.txt', 'orders/1.json']);

    await bindings.invoke('files', 'delete', undefined, { fileName: 'greeting.txt' });
    expect(existsSync(join(root, 'greeting.txt'))).toBe(false);
    await expect(bindings.invoke('files', 'get', undefined, { fileName: 'greeting.txt' })).rejects.toThrow(/file not found/);
  });

  it('decodes base64 string payloads like Dapr (binary upload), unless decodeBase64 is false', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    await bindings.invoke('files', 'create', png.toString('base64'), { fileName: 'img.png' });
    expect(Buffer.compare(readFileSync(join(root, 'img.png')), png)).toBe(0);
    await bindings.invoke('files', 'create', 'dGVzdA==', { fileName: 'literal.txt', decodeBase64: 'false' });
    expect(readFileSync(join(root, 'literal.txt'), 'utf8')).toBe('dGVzdA==');
    await bindings.invoke('files', 'delete', undefined, { fileName: 'img.png' });
    await bindings.invoke('files', 'delete', undefined, { fileName: 'literal.txt' });
  });

  it('create without fileName uses a UUID', async () => {
    const res = await bindings.invoke<{ fileName: string }>('files', 'create', { x: 1 });
    expect(res.data.fileName).toMatch(/^[0-9a-f-]{36}$/);
    expect(existsSync(join(root, res.data.fileName))).toBe(true);
  });

  it('refuses paths that escape rootPath (../, absolute, symlinks)', async () => {
    const escape = join('..', outside.split('/').pop()!, 'secret.txt');
    for (const op of ['get', 'delete', 'create']) {
      await expect(bindings.invoke('files', op, 'pwned', { fileName: escape })).rejects.toThrow(BindingRequestError);
      await expect(bindings.invoke('files', op, 'pwned', { fileName: '../../../../etc/passwd' })).rejects.toThrow(/escapes rootPath/);
      await expect(bindings.invoke('files', op, 'pwned', { fileName: join(outside, 'secret.txt') })).rejects.toThrow(
        /must be relative/,
      );
    }
    await expect(bindings.invoke('files', 'list', undefined, { fileName: '..' })).rejects.toThrow(/escapes rootPath/);
    symlinkSync(outside, join(root, 'link'));
    await expect(bindings.invoke('files', 'get', undefined, { fileName: 'link/secret.txt' })).rejects.toThrow(/outside rootPath/);
    await expect(bindings.invoke('files', 'create', 'pwned', { fileName: 'link/new.txt' })).rejects.toThrow(/outside rootPath/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
  });

  it('refuses to write, read or list through a symlink that already sits inside rootPath (issue 13 item 8)', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'alias.txt'));
    symlinkSync(join(outside, 'not-yet.txt'), join(root, 'dangling.txt'));
    symlinkSync(outside, join(root, 'dir-link'));
    await expect(bindings.invoke('files', 'create', 'pwned', { fileName: 'alias.txt' })).rejects.toThrow(BindingRequestError);
    await expect(bindings.invoke('files', 'create', 'pwned', { fileName: 'dangling.txt' })).rejects.toThrow(BindingRequestError);
    await expect(bindings.invoke('files', 'get', undefined, { fileName: 'alias.txt' })).rejects.toThrow(/outside rootPath/);
    await expect(bindings.invoke('files', 'list', undefined, { fileName: 'dir-link' })).rejects.toThrow(/outside rootPath/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(existsSync(join(outside, 'not-yet.txt'))).toBe(false);
    // Listing the root does not follow links out of it, and shows no host path.
    const list = await bindings.invoke<string[]>('files', 'list');
    for (const entry of list.data) {
      expect(entry.startsWith('/')).toBe(false);
      expect(entry).not.toContain('secret.txt');
    }
  });

  it('throws typed errors for unknown bindings and unsupported operations', async () => {
    const unknown = bindings.invoke('nope', 'get');
    await expect(unknown).rejects.toThrow(BindingNotFoundError);
    await expect(bindings.invoke('nope', 'get')).rejects.toThrow(/known output bindings: files/);
    await expect(bindings.invoke('files', 'exec')).rejects.toThrow(BindingOperationNotSupportedError);
    await expect(bindings.invoke('files', 'exec')).rejects.toThrow(/supported operations: create, get, list, delete/);
    await expect(bindings.invoke('files', 'exec')).rejects.toMatchObject({ errorCode: 'ERR_INVOKE_OUTPUT_BINDING' });
  });

  it('fails start-up when @OnBinding names a binding that is not an input binding', async () => {
    @Injectable()
    class Handler {
      @OnBinding('files')
      handle() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'x', components: [{ name: 'files', type: 'bindings.localstorage', metadata: { rootPath: root } }] })],
      providers: [Handler],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/input binding "files" is not configured/);
    await moduleRef.close();
  });
});
