import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port';
export { freePort };

const run = promisify(execFile);
/** Where initdb and pg_ctl are (Debian's PostgreSQL 15 unless PG_BIN says otherwise). */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Resolves true when something accepts TCP connections on the port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, open: boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > deadline) throw new Error(`${what} did not ${open ? 'come up' : 'go down'} on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** redis-server as a child process, no persistence: a restart loses every key and every CONFIG SET. */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.up();
    return redis;
  }

  /** Starts the server; `extra` are more redis-server arguments (e.g. `--rename-command CONFIG x`). */
  async up(extra: string[] = []): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extra], {
      stdio: 'ignore',
    });
    this.child = child;
    await waitForPort(this.port, true, 20_000, 'private redis-server');
  }

  /** Kills the server (SIGKILL) and fails unless its port really stopped accepting connections. */
  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) throw new Error('private redis-server was not running');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await waitForPort(this.port, false, 10_000, 'private redis-server');
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) await this.down().catch(() => undefined);
  }
}

/** A PostgreSQL cluster of its own (initdb in a temp dir, run as the postgres user), started and stopped with pg_ctl. */
export class PrivatePostgres {
  private running = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'nd-cfg-pg-'));
    // initdb refuses to run as root: the cluster belongs to the postgres user then.
    if (process.getuid?.() === 0) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(await freePort(), dir);
    await pg.asPostgres(`${PG_BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.up();
    return pg;
  }

  private asPostgres(cmd: string, args: string[]): Promise<unknown> {
    const asRoot = process.getuid?.() === 0;
    return asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 120_000 }) : run(cmd, args, { timeout: 120_000 });
  }

  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.asPostgres(`${PG_BIN}/pg_ctl`, ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start']);
    this.running = true;
    await waitForPort(this.port, true, 20_000, 'private PostgreSQL');
  }

  /** Stops the server at once (`-m immediate`, as a crash) and fails unless its port really closed. */
  async down(): Promise<void> {
    if (!this.running) throw new Error('private PostgreSQL was not running');
    await this.asPostgres(`${PG_BIN}/pg_ctl`, ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    this.running = false;
    await waitForPort(this.port, false, 10_000, 'private PostgreSQL');
  }

  async stop(): Promise<void> {
    if (this.running) await this.down().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` until it holds or the deadline passes (then fails naming `what`). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
