import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';
export { freePort };

const root = join(__dirname, '..', '..', '..');
const register = join(root, 'test/support/swc-register.js');

export interface RunningApp {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

/**
 * Starts a sample app as a real process from its TypeScript sources (swc
 * require hook, no build step) and resolves once it listens.
 */
export function startSampleApp(name: 'order' | 'checkout', port: number, cwd: string, env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, ['-r', register, join(root, 'apps', name, 'src/main.ts')], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'quiet' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const app: RunningApp = { name, port, child, output: () => out };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(app);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it listened:\n${out}`));
    });
  });
}

export async function stopApp(app: RunningApp | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
    app.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    app.child.kill('SIGTERM');
  });
}

export async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // plain text answer
  }
  return { status: res.status, body: parsed };
}

/** Polls until `read` returns something `done` accepts, or fails with the last value after the deadline. */
export async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
