/**
 * `redisType: cluster` through ioredis Cluster against a real 3-node Redis
 * Cluster started by this test (free ports, own temp dir, stopped at the end;
 * the shared Redis on 6379 is not touched).
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DaprModule, ETagMismatchError, StateService, StateStoreError } from 'nest-dapr';
import { startRedisCluster, type LocalRedisCluster } from './support/redis-cluster';

describe('state.redis with redisType cluster', () => {
  let cluster: LocalRedisCluster;
  let ports: number[];
  const cli = (port: number, ...args: string[]) => cluster.cli(port, ...args);
  let app: INestApplication;
  let state: StateService;

  beforeAll(async () => {
    // Every node serving all 16384 slots and knowing the others, with a deadline a loaded machine meets.
    cluster = await startRedisCluster(3, 60_000);
    ports = cluster.ports;

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
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
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
    const counts = await Promise.all(ports.map(async (p) => Number(await cli(p, 'DBSIZE'))));
    expect(counts.every((n) => n > 0)).toBe(true);
    const versions = await Promise.all(ports.map((p) => cli(p, '-c', 'HGET', 'cluster||k0', 'version')));
    expect(versions.includes('1')).toBe(true);
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
    const slots = new Set(await Promise.all(['x1', 'x2', 'x3'].map((k) => cli(ports[0], 'CLUSTER', 'KEYSLOT', `cluster||${k}`))));
    expect(slots.size).toBeGreaterThan(1);
    expect(err).toBeInstanceOf(StateStoreError);
    expect((err as StateStoreError).errorCode).toBe('ERR_STATE_TRANSACTION');
  });
});
