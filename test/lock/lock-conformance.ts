/**
 * Dapr's lock semantics (components-contrib `lock/redis`, dapr `pkg/api/universal/lock.go`),
 * written once and run against every lock driver through a real Nest app:
 * `describeLockConformance('lock.redis', () => ({ name, type, metadata }))`.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  DaprModule,
  LockOperationError,
  LockRequestError,
  LockService,
  LockStoreNotFoundError,
  type ComponentDefinition,
} from 'nest-dapr';

export interface LockConformanceOptions {
  appId?: string;
  /** Called after each suite's app is up: e.g. checks of the store's own layout. */
  extra?: (ctx: { lock: () => LockService; appId: string; resource: () => string }) => void;
}

export async function startLockApp(appId: string, components: ComponentDefinition[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId, components })] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.init();
  return app;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeLockConformance(title: string, component: () => ComponentDefinition | Promise<ComponentDefinition>, opts: LockConformanceOptions = {}): void {
  const appId = opts.appId ?? `lockconf-${randomUUID().slice(0, 8)}`;
  describe(`${title} lock conformance`, () => {
    let app: INestApplication;
    let lock: LockService;
    let store: string;
    const resource = () => `res-${randomUUID()}`;

    beforeAll(async () => {
      const def = await component();
      store = def.name;
      app = await startLockApp(appId, [def]);
      lock = app.get(LockService);
    });
    afterAll(() => app?.close());

    it('grants a free lock once: a second owner and the same owner again are refused', async () => {
      const r = resource();
      await expect(lock.lock(store, r, 'owner-a', 30)).resolves.toEqual({ success: true });
      await expect(lock.lock(store, r, 'owner-b', 30)).resolves.toEqual({ success: false });
      // Not reentrant: Dapr's SET NX refuses the holder too.
      await expect(lock.lock(store, r, 'owner-a', 30)).resolves.toEqual({ success: false });
    });

    it('unlock answers SUCCESS only to the owner, LOCK_BELONGS_TO_OTHERS to others, LOCK_DOES_NOT_EXIST on a free key', async () => {
      const r = resource();
      await expect(lock.unlock(store, r, 'owner-a')).resolves.toEqual({ status: 'LOCK_DOES_NOT_EXIST' });
      await lock.lock(store, r, 'owner-a', 30);
      await expect(lock.unlock(store, r, 'owner-b')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      // The failed unlock left the lock in place.
      await expect(lock.lock(store, r, 'owner-b', 30)).resolves.toEqual({ success: false });
      await expect(lock.unlock(store, r, 'owner-a')).resolves.toEqual({ status: 'SUCCESS' });
      await expect(lock.unlock(store, r, 'owner-a')).resolves.toEqual({ status: 'LOCK_DOES_NOT_EXIST' });
      await expect(lock.lock(store, r, 'owner-b', 30)).resolves.toEqual({ success: true });
    });

    it('expiry frees the lock: another owner takes it and the old owner can no longer release it', async () => {
      const r = resource();
      await expect(lock.lock(store, r, 'owner-a', 1)).resolves.toEqual({ success: true });
      await expect(lock.lock(store, r, 'owner-b', 1)).resolves.toEqual({ success: false });
      await sleep(1300);
      await expect(lock.lock(store, r, 'owner-b', 30)).resolves.toEqual({ success: true });
      await expect(lock.unlock(store, r, 'owner-a')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      await expect(lock.unlock(store, r, 'owner-b')).resolves.toEqual({ status: 'SUCCESS' });
    });

    it('an expired lock that nobody took reads as LOCK_DOES_NOT_EXIST', async () => {
      const r = resource();
      await lock.lock(store, r, 'owner-a', 1);
      await sleep(1300);
      await expect(lock.unlock(store, r, 'owner-a')).resolves.toEqual({ status: 'LOCK_DOES_NOT_EXIST' });
    });

    it('locks on different resources are independent', async () => {
      const [a, b] = [resource(), resource()];
      await expect(lock.lock(store, a, 'owner-a', 30)).resolves.toEqual({ success: true });
      await expect(lock.lock(store, b, 'owner-b', 30)).resolves.toEqual({ success: true });
      await expect(lock.unlock(store, a, 'owner-b')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
    });

    it('refuses what daprd refuses, with its error codes', async () => {
      const r = resource();
      for (const expiry of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
        const err = await lock.lock(store, r, 'o', expiry).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LockRequestError);
        expect(err).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
      }
      await expect(lock.lock(store, r, 'o', 0)).rejects.toThrow(`ExpiryInSeconds is not positive in lock store ${store}`);
      await expect(lock.lock(store, '', 'o', 5)).rejects.toThrow(`ResourceId is empty in lock store ${store}`);
      await expect(lock.lock(store, r, '', 5)).rejects.toThrow(`LockOwner is empty in lock store ${store}`);
      await expect(lock.unlock(store, '', 'o')).rejects.toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
      await expect(lock.unlock(store, r, '')).rejects.toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
      await expect(lock.lock('no-such-store', r, 'o', 5)).rejects.toBeInstanceOf(LockStoreNotFoundError);
      await expect(lock.unlock('no-such-store', r, 'o')).rejects.toMatchObject({ errorCode: 'ERR_LOCK_STORE_NOT_FOUND' });
      const bad = await lock.lock(store, 'a||b', 'o', 5).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(LockOperationError);
      expect(bad).toMatchObject({ errorCode: 'ERR_TRY_LOCK', message: "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'" });
      await expect(lock.unlock(store, 'a||b', 'o')).rejects.toMatchObject({ errorCode: 'ERR_UNLOCK' });
    });

    it('concurrent contenders on one free resource: exactly one wins', async () => {
      const r = resource();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => lock.lock(store, r, `owner-${i}`, 30)));
      expect(results.filter((x) => x.success)).toHaveLength(1);
    });

    opts.extra?.({ lock: () => lock, appId, resource });
  });
}
