/**
 * `redisType: cluster` through ioredis Cluster against a real 3-node Redis
 * Cluster started by this test (own ports, own temp dir, stopped at the end;
 * the shared Redis on 6379 is not touched).
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, ETagMismatchError, StateService, StateStoreError } from 'nest-dapr';
import { sleep, waitFor } from './state-conformance';

const base = 31000 + Math.floor(Math.random() * 3000) * 3;
const ports = [base, base + 1, base + 2];

function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

describe('state.redis with redisType cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-redis-cluster-'));
  const nodes: ChildProcess[] = [];
  let app: INestApplication;
  let state: StateService;

  beforeAll(async () => {
    for (const port of ports) {
      const node = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      );
      nodes.push(node);
    }
    await waitFor(async () => ports.every((p) => {
      try {
        return cli(p, 'PING') === 'PONG';
      } catch {
        return false;
      }
    }), 10_000);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      stdio: 'ignore',
    });
    await waitFor(async () => ports.every((p) => cli(p, 'CLUSTER', 'INFO').includes('cluster_state:ok')), 15_000);

    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'cluster',
          components: [
            {
              name: 'statestore',
              type: 'state.redis',
              metadata: { redisType: 'cluster', redisHost: ports.map((p) => `127.0.0.1:${p}`).join(',') },
            },
          ],
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    state = app.get(StateService);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    for (const n of nodes) n.kill('SIGTERM');
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves and reads keys spread over the slots of every node, in Dapr format', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await state.save(
      'statestore',
      keys.map((key, i) => ({ key, value: { i } })),
    );
    const res = await state.getBulk('statestore', keys);
    expect(res.map((r) => r.value)).toEqual(keys.map((_, i) => ({ i })));
    // The keys really are spread: every node holds some.
    const counts = ports.map((p) => Number(cli(p, 'DBSIZE')));
    expect(counts.every((n) => n > 0)).toBe(true);
    const slotOwner = ports.find((p) => cli(p, '-c', 'HGET', 'cluster||k0', 'version') === '1');
    expect(slotOwner).toBeDefined();
  });

  it('etags, deletes and TTL work across nodes', async () => {
    await state.save('statestore', { key: 'e', value: 1 });
    const item = await state.getItem('statestore', 'e');
    expect(item?.etag).toBe('1');
    await expect(state.save('statestore', { key: 'e', value: 2, etag: '7' })).rejects.toBeInstanceOf(ETagMismatchError);
    await state.save('statestore', { key: 'e', value: 2, etag: '1', metadata: { ttlInSeconds: '100' } });
    expect(await state.getItem('statestore', 'e')).toMatchObject({ value: 2, etag: '2' });
    await state.delete('statestore', 'e', { etag: '2' });
    expect(await state.get('statestore', 'e')).toBeUndefined();
  });

  it('transactions run in one MULTI when the keys share a hash slot, and fail typed when they do not', async () => {
    await state.transaction('statestore', [
      { operation: 'upsert', request: { key: '{order-1}a', value: 'a' } },
      { operation: 'upsert', request: { key: '{order-1}b', value: 'b' } },
    ]);
    expect(await state.get('statestore', '{order-1}a')).toBe('a');
    expect(await state.get('statestore', '{order-1}b')).toBe('b');
    const err = await state
      .transaction('statestore', [
        { operation: 'upsert', request: { key: 'x1', value: 1 } },
        { operation: 'upsert', request: { key: 'x2', value: 2 } },
        { operation: 'upsert', request: { key: 'x3', value: 3 } },
      ])
      .catch((e: unknown) => e);
    // Keys in different slots cannot share a MULTI in Redis Cluster.
    const slots = new Set(['x1', 'x2', 'x3'].map((k) => cli(ports[0], 'CLUSTER', 'KEYSLOT', `cluster||${k}`)));
    expect(slots.size).toBeGreaterThan(1);
    expect(err).toBeInstanceOf(StateStoreError);
    expect((err as StateStoreError).errorCode).toBe('ERR_STATE_TRANSACTION');
  });
});
