import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';

/**
 * A Mosquitto this test process runs for itself — own port, config and
 * persistence folder — so a test can stop and start a broker without
 * disturbing the shared one on 1883. `stop` sends SIGTERM (Mosquitto writes
 * its persistence file on the way out) and waits until the process exited and
 * the port refuses connections; `start` starts it again on the same port and
 * folder. `destroy` kills it (by the pid it started) and removes the folder.
 */
export class PrivateMosquitto {
  readonly dir = mkdtempSync(join(tmpdir(), 'nest-dapr-mosquitto-'));
  private proc?: ChildProcess;

  /** `listenerOptions`: lines for the listener (e.g. TLS `cafile`, `certfile`, `keyfile`, `require_certificate`). */
  private constructor(
    readonly port: number,
    listenerOptions: readonly string[],
  ) {
    writeFileSync(
      join(this.dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        ...listenerOptions,
        'allow_anonymous true',
        // Started as root, Mosquitto would switch to the mosquitto user, which cannot write the temporary folder.
        'user root',
        'persistence true',
        `persistence_location ${this.dir}/`,
        `log_dest file ${join(this.dir, 'mosquitto.log')}`,
        'log_type all',
      ].join('\n') + '\n',
    );
  }

  static async start(listenerOptions: readonly string[] = []): Promise<PrivateMosquitto> {
    const m = new PrivateMosquitto(await freePort(), listenerOptions);
    await m.start();
    return m;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    if (this.proc) throw new Error('private mosquitto already running');
    const proc = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
    const deadline = Date.now() + 15_000;
    while (!(await accepts(this.port))) {
      if (!this.proc) throw new Error(`mosquitto exited at start-up:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.port} within 15 s:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then proof that it is down: the process exited and the port refuses connections. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) throw new Error('private mosquitto is not running');
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('mosquitto did not exit within 10 s of SIGTERM')), 10_000);
    });
    await Promise.race([exited, late]).finally(() => clearTimeout(timer));
    if (proc.exitCode === null && proc.signalCode === null) throw new Error('mosquitto is still running');
    if (await accepts(this.port)) throw new Error(`port ${this.port} still accepts connections after mosquitto exited`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'mosquitto.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  }

  async destroy(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

