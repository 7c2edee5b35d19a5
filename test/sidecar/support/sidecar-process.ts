import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/free-port';
export { freePort };

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'libs/dapr/src/cli/main.ts');
const REGISTER = join(ROOT, 'test/support/swc-register.js');

export interface RunningSidecar {
  http: number;
  grpc: number;
  proc: ChildProcess;
  /** Everything the process printed so far (for failure messages). */
  logs(): string;
  /** SIGTERM and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SidecarStart {
  appId: string;
  resources?: string;
  appPort?: number;
  appProtocol?: 'http' | 'grpc';
  args?: string[];
  env?: Record<string, string>;
  /** Resolve only once `GET /v1.0/healthz` answers 204 (app channel ready), not just outbound. */
  waitForApp?: boolean;
  /** Arguments after `--`: the app to start. */
  command?: string[];
}

/** Writes Dapr resource documents as one YAML file per document into `dir`. */
export function writeResources(dir: string, docs: Record<string, unknown>[]): string {
  mkdirSync(dir, { recursive: true });
  docs.forEach((doc, i) => writeFileSync(join(dir, `${String(i).padStart(2, '0')}-${(doc.metadata as { name: string }).name}.yaml`), stringify(doc)));
  return dir;
}

export function component(name: string, type: string, metadata: Record<string, string | number | boolean> = {}, scopes?: string[]): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: { type, version: 'v1', metadata: Object.entries(metadata).map(([n, value]) => ({ name: n, value: String(value) })) },
  };
  if (scopes) doc.scopes = scopes;
  return doc;
}

/** Runs `nest-dapr run` from the TypeScript sources as a real process and waits until its APIs answer. */
export async function startSidecar(opts: SidecarStart): Promise<RunningSidecar> {
  const http = await freePort();
  const grpc = await freePort();
  const args = ['-r', REGISTER, CLI, 'run', '--app-id', opts.appId, '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc), '--log-level', 'warn'];
  if (opts.resources) args.push('--resources-path', opts.resources);
  if (opts.appPort !== undefined) args.push('--app-port', String(opts.appPort));
  if (opts.appProtocol) args.push('--app-protocol', opts.appProtocol);
  args.push(...(opts.args ?? []));
  if (opts.command) args.push('--', ...opts.command);
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const sidecar: RunningSidecar = {
    http,
    grpc,
    proc,
    logs: () => out,
    stop: async () => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const path = opts.waitForApp ? '/v1.0/healthz' : '/v1.0/healthz/outbound';
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nest-dapr run exited with ${proc.exitCode}:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${http}${path}`);
      if (res.status === 204) return sidecar;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await sidecar.stop();
      throw new Error(`nest-dapr run did not become ready on ${path}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `GET /v1.0/healthz` answers 204 (the app channel is ready). */
export async function waitForAppChannel(sidecar: RunningSidecar, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/healthz`).catch(() => undefined);
    if (res?.status === 204) return;
    if (Date.now() > deadline) throw new Error(`app channel not ready:\n${sidecar.logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `read` until `done` holds or the time is up (then fails naming `what`). */
export async function eventually<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
