import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DaprModule, InvocationError, InvocationService, OnBinding, StateService, Subscribe, SubscriptionStatus } from 'nest-dapr';
import { DaprTestHarness, DaprTestingModule, StubResponse } from 'nest-dapr/testing';

@Injectable()
class Worker {
  readonly seen: string[] = [];
  attempts = 0;
  ticks = 0;

  constructor(private readonly state: StateService) {}

  @Subscribe({ pubsub: 'bus', topic: 'jobs' })
  async onJob(data: { id: string }): Promise<void> {
    this.seen.push(data.id);
    await this.state.save('store', { key: data.id, value: 'done' });
  }

  // Asks for redelivery twice, then succeeds: settle() must wait for it.
  @Subscribe({ pubsub: 'bus', topic: 'flaky' })
  onFlaky(): SubscriptionStatus {
    return ++this.attempts < 3 ? SubscriptionStatus.RETRY : SubscriptionStatus.SUCCESS;
  }

  @OnBinding('tick')
  onTick(data: unknown): { got: unknown } {
    this.ticks++;
    return { got: data };
  }
}

@Module({
  imports: [
    DaprModule.forRoot({
      appId: 'worker',
      // Real brokers in the app's config: the testing module must never touch them.
      components: [
        { name: 'store', type: 'state.redis', metadata: { redisHost: '127.0.0.1:1' } },
        { name: 'bus', type: 'pubsub.kafka', metadata: { brokers: '127.0.0.1:1', consumerGroup: 'g', authType: 'none' } },
        { name: 'tick', type: 'bindings.cron', metadata: { schedule: '@every 1s' } },
        { name: 'out', type: 'bindings.http', metadata: { url: 'http://127.0.0.1:1' } },
      ],
    }),
  ],
  providers: [Worker],
})
class WorkerModule {}

describe('DaprTestingModule', () => {
  it('runs an app on in-memory twins: publish, settle (through redeliveries), inspect, state', async () => {
    const dapr = await DaprTestingModule.create(WorkerModule, { state: { store: { seeded: 1 } } });
    try {
      await dapr.publish('bus', 'jobs', { id: 'a' });
      await dapr.publish('bus', 'flaky', { n: 1 });
      await dapr.settle();
      const worker = dapr.get(Worker);
      expect(worker.seen).toEqual(['a']);
      expect(worker.attempts).toBe(3);
      expect(await dapr.getState('store', 'a')).toBe('done');
      expect(await dapr.getState('store', 'seeded')).toBe(1);
      expect(dapr.published('jobs')[0].event).toMatchObject({ topic: 'jobs', pubsubname: 'bus', source: 'worker', data: { id: 'a' } });
      expect(dapr.topics().sort()).toEqual(['flaky', 'jobs']);
    } finally {
      await dapr.close();
    }
  });

  it('fires input bindings on demand only, records output bindings', async () => {
    const dapr = await DaprTestingModule.create(WorkerModule);
    try {
      await new Promise((r) => setTimeout(r, 1100));
      expect(dapr.get(Worker).ticks).toBe(0); // the cron never ticks by itself
      expect(await dapr.triggerBinding('tick', { hello: 1 })).toEqual({ got: { hello: 1 } });
      dapr.stubBinding('out', ({ operation }) => ({ data: { answered: operation } }));
      const { BindingsService } = await import('nest-dapr');
      const res = await dapr.get(BindingsService).invoke('out', 'post', { x: 1 });
      expect(res.data).toEqual({ answered: 'post' });
      expect(dapr.bindingCalls('out')).toEqual([{ operation: 'post', data: { x: 1 }, metadata: expect.any(Object) }]);
    } finally {
      await dapr.close();
    }
  });

  it('answers invocations from stubs (routes, status codes) and refuses unstubbed apps', async () => {
    const dapr = await DaprTestingModule.create(WorkerModule, {
      apps: { inventory: { 'GET items/:id': ({ params, query }) => ({ id: params.id, q: query.q }), 'DELETE items/:id': () => { throw new StubResponse(409, { busy: true }); } } },
    });
    try {
      const invoker = dapr.get(InvocationService);
      expect(await invoker.invoke('inventory', 'items/7', { query: { q: 'x' } })).toEqual({ id: '7', q: 'x' });
      const err = await invoker.invoke('inventory', 'items/7', { httpMethod: 'DELETE' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationError);
      expect(err).toMatchObject({ status: 409, body: { busy: true } });
      expect(await invoker.invoke('inventory', 'nope').catch((e: InvocationError) => e.status)).toBe(404);
      await expect(invoker.invoke('billing', 'pay')).rejects.toThrow(/no stub for app "billing"/);
      dapr.stubApp('billing', () => 'ok');
      expect(await invoker.invoke('billing', 'pay', { body: { a: 1 } })).toBe('ok');
      expect(dapr.invocations('billing')).toEqual([expect.objectContaining({ httpMethod: 'POST', method: 'pay', body: { a: 1 } })]);
    } finally {
      await dapr.close();
    }
  });

  it('works on a Test.createTestingModule builder via override() and harnessOf()', async () => {
    const moduleRef = await DaprTestingModule.override(Test.createTestingModule({ imports: [WorkerModule] })).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const dapr = DaprTestingModule.harnessOf(app);
      await dapr.publish('bus', 'jobs', { id: 'b' });
      await dapr.settle();
      expect(app.get(Worker).seen).toEqual(['b']);
    } finally {
      await app.close();
    }
  });

  it('settle() names what is still busy when a handler never succeeds', async () => {
    const dapr = await DaprTestingModule.create(WorkerModule);
    try {
      dapr.get(Worker).attempts = -1_000_000;
      await dapr.publish('bus', 'flaky', {});
      await expect(dapr.settle({ timeoutMs: 200 })).rejects.toThrow(/did not settle within 200 ms: .*flaky/);
    } finally {
      dapr.get(Worker).attempts = 10;
      await dapr.close();
    }
  });

  it('forRoot() stands in for DaprModule.forRoot() when a test composes modules itself', async () => {
    @Module({ providers: [Worker] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprTestingModule.forRoot({
          appId: 'feature',
          components: [
            { name: 'store', type: 'state.postgresql', metadata: { connectionString: 'host=127.0.0.1 port=1' } },
            { name: 'bus', type: 'pubsub.redis', metadata: { redisHost: '127.0.0.1:1' } },
            { name: 'tick', type: 'bindings.cron', metadata: { schedule: '@every 1s' } },
          ],
          apps: { inventory: () => ({ ok: true }) },
        }),
        FeatureModule,
      ],
    }).compile();
    await moduleRef.init();
    try {
      const dapr = moduleRef.get(DaprTestHarness);
      await dapr.publish('bus', 'jobs', { id: 'c' });
      await dapr.idle();
      expect(moduleRef.get(Worker).seen).toEqual(['c']);
      expect(await dapr.getState('store', 'c')).toBe('done');
      expect(await moduleRef.get(InvocationService).invoke('inventory', 'x')).toEqual({ ok: true });
    } finally {
      await moduleRef.close();
    }
  });
});
