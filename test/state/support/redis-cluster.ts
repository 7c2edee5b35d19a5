import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A Redis Cluster of masters this test process started on free ports, in its own temp dir. */
export interface LocalRedisCluster {
  ports: number[];
  /** redis-cli against one node (`-c` follows redirects). */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000;

/**
 * Starts `count` redis-server nodes with cluster mode on, joins them with
 * `redis-cli --cluster create` and returns once every node reports
 * `cluster_state:ok` with all 16384 slots served and knows every other node.
 * Robust on a loaded machine shared with other test runs: ports are probed
 * free (client and bus port), a node that exits is reported at once with its
 * log, and every step has a deadline sized for a slow start, whose failure
 * message carries what each node said. `stop` kills the nodes it started (by
 * their pids) and removes the directory.
 */
export async function startRedisCluster(count = 3, deadlineMs = 60_000): Promise<LocalRedisCluster> {
  // A port taken between the probe and redis-server's bind makes that node exit at once: try other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(count, deadlineMs);
    } catch (err) {
      if (!(err as { portTaken?: boolean }).portTaken || attempt >= 3) throw err;
    }
  }
}

async function startOnce(count: number, deadlineMs: number): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-redis-cluster-'));
  const ports = await freeClusterPorts(count);
  const nodes: ChildProcess[] = [];
  const exited = new Map<number, string>();
  const logOf = (port: number) => {
    const file = join(dir, `redis-${port}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
  };
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 })).stdout.trim();
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.exitCode !== null || n.signalCode !== null) return resolve();
            n.once('exit', () => resolve());
            n.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + deadlineMs;
  const failure = async (what: string) => {
    const report = await Promise.all(
      ports.map(async (p) => {
        const info = await cli(p, 'CLUSTER', 'INFO').catch((e: Error) => `(no answer: ${e.message})`);
        return `node ${p}${exited.has(p) ? ` exited (${exited.get(p)})` : ''}:\n${info}\n${logOf(p)}`;
      }),
    );
    await stop();
    return new Error(`Redis Cluster on ${ports.join(', ')}: ${what}\n${report.join('\n---\n')}`);
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (;;) {
      if (exited.size) {
        const err = await failure(`a node exited while waiting for ${what}`);
        throw Object.assign(err, { portTaken: /Address already in use/.test(err.message) });
      }
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw await failure(`${what} not reached within ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  for (const port of ports) {
    const node = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', `redis-${port}.log`],
      { stdio: 'ignore' },
    );
    node.once('exit', (code, signal) => exited.set(port, `code ${code}, signal ${signal}`));
    nodes.push(node);
  }
  await until('every node answering PING', async () => (await Promise.all(ports.map((p) => cli(p, 'PING')))).every((r) => r === 'PONG'));
  try {
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: Math.max(5_000, deadline - Date.now()),
    });
  } catch (err) {
    throw await failure(`redis-cli --cluster create failed: ${(err as Error).message}`);
  }
  await until('cluster_state:ok with all slots on every node', async () => {
    const infos = await Promise.all(ports.map((p) => cli(p, 'CLUSTER', 'INFO')));
    return infos.every(
      (i) => i.includes('cluster_state:ok') && i.includes('cluster_slots_ok:16384') && i.includes(`cluster_known_nodes:${count}`),
    );
  });
  return { ports, cli, stop };
}

/**
 * `count` client ports that are free together with their bus ports. Client
 * ports 20000-22767 put the bus ports at 30000-32767, below the kernel's
 * ephemeral range (32768+), where outgoing connections of other tests could
 * take a port between the probe and redis-server's bind (the node then exits).
 */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 2_768);
    if (ports.includes(port) || ports.includes(port + BUS_OFFSET)) continue;
    if ((await isFree(port)) && (await isFree(port + BUS_OFFSET))) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free ports for a Redis Cluster');
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
