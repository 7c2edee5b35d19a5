import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawNats } from './nats-test-utils';
import { freePort } from '../../support/free-port';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/**
 * A nats-server with JetStream of the test's own, on a free port with its own
 * store directory, so a test can kill and restart it without touching the
 * shared server on 4222.
 */
export class PrivateNats {
  private proc?: ChildProcess;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'nest-dapr-nats-'));

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs`: more nats-server flags, e.g. `['--auth', token]`; `probe`: how the readiness check connects then. */
  static async start(extraArgs: string[] = [], probe: { token?: string } = {}): Promise<PrivateNats> {
    const server = new PrivateNats(await freePort(), extraArgs);
    server.probeOptions = probe;
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** SIGKILLs the server and resolves once it exited and its port refuses connections. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    const exited = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    proc.kill('SIGKILL');
    await exited;
    if (await accepts(this.port)) throw new Error(`nats-server on ${this.port} still accepts connections after SIGKILL`);
  }

  /** Starts the server again on the same port and store (its streams and consumers survive). */
  restart(): Promise<void> {
    return this.startProcess();
  }

  async stop(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  /** Options the readiness probe connects with (the server's auth, when it has any). */
  probeOptions: { token?: string } = {};

  private async startProcess(): Promise<void> {
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs], { stdio: 'ignore' });
    this.proc = proc;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode} on port ${this.port}`);
      try {
        const nc = await rawNats(this.url, this.probeOptions);
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nats-server on ${this.port} not ready: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
