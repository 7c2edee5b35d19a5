import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, stopApp, type RunningApp } from './support/sample-apps';

const root = join(__dirname, '..', '..');
const register = join(root, 'test/support/swc-register.js');

const COMPONENTS = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memo
spec:
  type: state.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: bus
spec:
  type: pubsub.in-memory
  version: v1
`;

/**
 * "Optional means optional": an app with in-memory components only, started as
 * a real process the way a user starts theirs, logs no ERROR, writes nothing
 * into its working directory (no .dapr/), loads none of the optional driver
 * packages, and — with no name resolution configured — registers nowhere and
 * says what to configure when it invokes another app.
 */
describe('an app with only in-memory components', () => {
  let dir: string;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-memo-'));
    mkdirSync(join(dir, 'components'));
    writeFileSync(join(dir, 'components', 'components.yaml'), COMPONENTS);
    app = await start(dir);
  });

  afterAll(async () => {
    await stopApp(app);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves state with ETags, and a stale ETag is a 409 through DaprExceptionFilter', async () => {
    const first = await call(app!.port, 'PUT', '/items/a', { value: 1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ key: 'a', value: 1, etag: expect.any(String) });
    const stale = await fetch(`http://127.0.0.1:${app!.port}/items/a`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': 'not-the-etag' },
      body: JSON.stringify({ value: 2 }),
    });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ errorCode: 'ERR_STATE_SAVE', message: expect.stringContaining('etag mismatch') });
  });

  it('without name resolution, invoking another app names what to configure', async () => {
    const res = await call(app!.port, 'GET', '/call/checkout');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE', message: expect.stringMatching(/no name resolution configured.*nameResolution/) });
  });

  it('loads no optional package, writes no file into its working directory and logs no ERROR', async () => {
    expect((await call(app!.port, 'GET', '/loaded')).body).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['components']);
    expect(existsSync(join(dir, '.dapr'))).toBe(false);
    await stopApp(app);
    const errors = app!.output().split('\n').filter((l) => / ERROR /.test(l) && !l.includes('DaprExceptionFilter'));
    expect(errors).toEqual([]);
    // It did start and stop cleanly (the log is not just empty).
    expect(app!.output()).toMatch(/Nest application successfully started/);
  });
});

function start(cwd: string): Promise<RunningApp> {
  const child = spawn(process.execPath, ['-r', register, join(__dirname, 'support/in-memory-only.app.ts')], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ name: 'memo', port: Number(m[1]), child, output: () => out });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before it listened:\n${out}`));
    });
  });
}
