import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DaprModule,
  ETagMismatchError,
  getStateStoreToken,
  StateService,
  StateStore,
  StateStoreError,
  StateStoreNotFoundError,
} from 'nest-dapr';
import type { StateGetRequest } from 'nest-dapr/spi';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { DAPR_STATE_POLICY_RESOLVER } from './state-policy';
import { InMemoryStateStore } from '../components/in-memory/in-memory.state-store';

/** In-memory store whose next `failures` gets throw, to exercise the block's policy wiring. */
class FlakyStateStore extends InMemoryStateStore {
  static failures = 0;
  static gets = 0;
  override async get(req: StateGetRequest) {
    FlakyStateStore.gets++;
    if (FlakyStateStore.failures > 0) {
      FlakyStateStore.failures--;
      throw new Error('connection reset by peer');
    }
    return super.get(req);
  }
}
const flakyDriver = { type: 'state.flaky-spec', create: () => new FlakyStateStore() };

@Injectable()
class OrdersRepo {
  constructor(@StateStore('orders') readonly orders: StateStore<{ id: number }>) {}
}

@Module({ providers: [OrdersRepo], exports: [OrdersRepo] })
class OrdersModule {}

@Injectable()
class Config {
  readonly appId = 'async-state';
}

@Module({ providers: [Config], exports: [Config] })
class ConfigModule {}

describe('state block wiring', () => {
  it('@StateStore injects a handle inside a feature module with forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRootAsync({
          imports: [ConfigModule],
          inject: [Config],
          useFactory: (c: Config) => ({ appId: c.appId, components: [{ name: 'orders', type: 'state.in-memory' }] }),
        }),
        OrdersModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const repo = app.get(OrdersRepo);
    expect(repo.orders.name).toBe('orders');
    await repo.orders.save('o1', { id: 1 });
    expect(await app.get(StateService).get('orders', 'o1')).toEqual({ id: 1 });
    expect(app.get(getStateStoreToken('orders'))).toBe(repo.orders);
    await app.close();
  });

  it('a handle for a store that is not configured fails with StateStoreNotFoundError on use', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'x', components: [{ name: 'other', type: 'state.in-memory' }] }), OrdersModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const err = await app
      .get(OrdersRepo)
      .orders.get('k')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateStoreNotFoundError);
    expect((err as Error).message).toContain('known state stores: other');
    await app.close();

    const none = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'y' })] }).compile();
    const app2 = none.createNestApplication({ logger: false });
    await app2.init();
    await expect(app2.get(StateService).get('s', 'k')).rejects.toMatchObject({ errorCode: 'ERR_STATE_STORE_NOT_CONFIGURED' });
    await app2.close();
  });

  it("retries driver failures under the Resiliency spec's component policy, never ETag conflicts", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'res',
          drivers: [flakyDriver],
          components: [{ name: 'flaky', type: 'state.flaky-spec' }],
          resiliency: {
            policies: { retries: { quick: { policy: 'constant', duration: '1ms', maxRetries: 3 } } },
            targets: { components: { flaky: { outbound: { retry: 'quick' } } } },
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const state = app.get(StateService);
    await state.save('flaky', { key: 'k', value: 1 });
    FlakyStateStore.failures = 2;
    FlakyStateStore.gets = 0;
    expect(await state.get('flaky', 'k')).toBe(1);
    expect(FlakyStateStore.gets).toBe(3);

    FlakyStateStore.failures = 10;
    FlakyStateStore.gets = 0;
    const err = await state.get('flaky', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateStoreError);
    expect(err).toMatchObject({ errorCode: 'ERR_STATE_GET', operation: 'get' });
    expect(((err as Error).cause as Error).message).toBe('connection reset by peer');
    expect(FlakyStateStore.gets).toBe(4);
    FlakyStateStore.failures = 0;
    await app.close();
  });

  it('an app-provided policy resolver wraps calls and sees ETag errors as non-retriable', async () => {
    const seen: unknown[] = [];
    const policy: ResiliencyPolicy = {
      execute: async (fn) => {
        try {
          return await fn(new AbortController().signal);
        } catch (err) {
          seen.push(err);
          throw err;
        }
      },
    };
    @Module({ providers: [{ provide: DAPR_STATE_POLICY_RESOLVER, useValue: (s: string) => (s === 's' ? policy : undefined) }] })
    class PolicyModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'p', components: [{ name: 's', type: 'state.in-memory' }] }), PolicyModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const state = app.get(StateService);
    await state.save('s', { key: 'k', value: 1 });
    await expect(state.save('s', { key: 'k', value: 2, etag: 'nope' })).rejects.toBeInstanceOf(ETagMismatchError);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ nonRetriable: true });
    await app.close();
  });
});
