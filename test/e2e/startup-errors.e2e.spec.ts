import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownProfiles } from '../../apps/common/profile';

const root = join(__dirname, '..', '..');

/** Runs the order app to its exit and returns the exit code and everything it printed. */
function runOrderApp(env: Record<string, string>, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', join(root, 'test/support/swc-register.js'), join(root, 'apps/order/src/main.ts')], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'quiet', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('sample app start-up errors', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'nest-dapr-startup-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown DAPR_PROFILE stops start-up with the list of profiles', async () => {
    const { code, out } = await runOrderApp({ DAPR_PROFILE: 'rabbit', PORT: '0' }, dir);
    expect(code).toBe(1);
    expect(out).toContain(`order: cannot start: unknown component profile "rabbit" (DAPR_PROFILE); known profiles: ${knownProfiles().join(', ')}`);
    expect(knownProfiles()).toEqual(expect.arrayContaining(['kafka', 'local', 'rabbitmq', 'redis', 'servicebus']));
  }, 70_000);

  it('a port in use is reported as such', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, out } = await runOrderApp({ DAPR_PROFILE: 'local', PORT: String(port) }, dir);
      expect(code).toBe(1);
      expect(out).toContain(`order: cannot start: port ${port} is already in use; stop whatever listens there or start order with PORT=<free port>`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  }, 70_000);
});
