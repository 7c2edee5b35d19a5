import { Module } from '@nestjs/common';
import { DaprTestingModule } from 'nest-dapr/testing';
import { DaprModule, LockOperationError, LockRequestError, LockService, LockStoreNotConfiguredError } from 'nest-dapr';
import type { LockStoreDriver } from 'nest-dapr/spi';
import { statusOf } from '../../libs/dapr/src/http/dapr-exception.filter';
import { Test } from '@nestjs/testing';
import { describeLockConformance, startLockApp } from './lock-conformance';

describeLockConformance('lock.in-memory', () => ({ name: 'lockstore', type: 'lock.in-memory' }));

describe('LockService without lock components', () => {
  it('answers ERR_LOCK_STORE_NOT_CONFIGURED, after the expiry check as daprd orders them', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'nolock', components: [] })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const lock = app.get(LockService);
      await expect(lock.lock('any', 'r', 'o', 5)).rejects.toBeInstanceOf(LockStoreNotConfiguredError);
      await expect(lock.unlock('any', 'r', 'o')).rejects.toMatchObject({ errorCode: 'ERR_LOCK_STORE_NOT_CONFIGURED', message: 'lock store is not configured' });
      await expect(lock.lock('any', 'r', 'o', 0)).rejects.toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
    } finally {
      await app.close();
    }
  });

  it('a keyPrefix with "||" stops start-up, as daprd fails the component', async () => {
    await expect(startLockApp('badprefix', [{ name: 'l', type: 'lock.in-memory', metadata: { keyPrefix: 'a||b' } }])).rejects.toThrow(/keyPrefix.*can't contain "\|\|"/);
  });
});

describe('LockService over a failing store', () => {
  /** A store whose backend is down: every call rejects. */
  const down: LockStoreDriver = {
    init: async () => undefined,
    features: () => [],
    tryLock: async () => {
      throw new Error('connection refused');
    },
    unlock: async () => {
      throw new Error('connection refused');
    },
  };

  it("answers daprd's ERR_TRY_LOCK / ERR_UNLOCK, keeping the store's error as the cause", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'down', components: [{ name: 'l', type: 'lock.down-spec' }], drivers: [{ type: 'lock.down-spec', create: () => down }] })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const lock = app.get(LockService);
      const err = await lock.lock('l', 'r', 'o', 5).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockOperationError);
      expect(err).toMatchObject({ errorCode: 'ERR_TRY_LOCK', message: 'failed to try acquiring lock: connection refused' });
      expect((err as Error).cause).toEqual(new Error('connection refused'));
      await expect(lock.unlock('l', 'r', 'o')).rejects.toMatchObject({ errorCode: 'ERR_UNLOCK', message: 'failed to release lock: connection refused' });
    } finally {
      await app.close();
    }
  });
});

describe('DaprTestingModule: lock components run on their in-memory twin', () => {
  it('a lock.redis component becomes lock.in-memory with the same name (no Redis needed)', async () => {
    @Module({ imports: [DaprModule.forRoot({ appId: 'twin', components: [{ name: 'jobs', type: 'lock.redis', metadata: { redisHost: 'no-such-host:1' } }] })] })
    class AppModule {}
    const dapr = await DaprTestingModule.create(AppModule);
    try {
      const lock = dapr.app.get(LockService);
      await expect(lock.lock('jobs', 'nightly', 'a', 10)).resolves.toEqual({ success: true });
      await expect(lock.lock('jobs', 'nightly', 'b', 10)).resolves.toEqual({ success: false });
      await expect(lock.unlock('jobs', 'nightly', 'b')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      await expect(lock.unlock('jobs', 'nightly', 'a')).resolves.toEqual({ status: 'SUCCESS' });
    } finally {
      await dapr.close();
    }
  });
});

describe('DaprExceptionFilter and lock errors', () => {
  it('a refused lock request is 400, a failed store 500, as daprd answers them', () => {
    expect(statusOf(new LockRequestError('l', 'ResourceId is empty'))).toBe(400);
    expect(statusOf(new LockOperationError('l', 'lock', 'connection refused'))).toBe(500);
  });
});
