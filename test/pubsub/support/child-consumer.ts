import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentDefinition } from 'nest-dapr';

const root = join(__dirname, '..', '..', '..');
const script = join(__dirname, '..', 'fixtures', 'broker-consumer.app.ts');
const register = join(root, 'test', 'support', 'swc-register.js');

/** Starts fixtures/broker-consumer.app.ts in a plain node process; resolves once it is subscribed. */
export function startChildConsumer(opts: {
  appId: string;
  topic: string;
  out: string;
  component: ComponentDefinition;
  delayMs?: number;
}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', register, script], {
    cwd: root,
    env: {
      ...process.env,
      APP_ID: opts.appId,
      TOPIC: opts.topic,
      OUT: opts.out,
      COMPONENT: JSON.stringify(opts.component),
      HANDLE_DELAY_MS: String(opts.delayMs ?? 0),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`consumer ${opts.appId} did not start:\n${log}`));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!log.includes('ready')) reject(new Error(`consumer ${opts.appId} exited with ${code}:\n${log}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function linesOf(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
