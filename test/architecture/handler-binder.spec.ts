import { Controller, Injectable, Logger, Module, Scope, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DaprModule, OnBinding, Subscribe } from 'nest-dapr';
import { DaprTestingModule } from 'nest-dapr/testing';

/**
 * `@Subscribe` and `@OnBinding` go through one handler binder: the same guard
 * resolution (a guard named by class on a controller runs, from the
 * controller's module), the same refusal rule (a guard's denial is not
 * retried) and the same request-scope rule (skipped with a warning).
 */
@Injectable()
class OnlyVipGuard implements CanActivate {
  checks: string[] = [];
  canActivate(ctx: ExecutionContext): boolean {
    const data = ctx.getArgByIndex<{ vip?: boolean; id: string }>(0);
    this.checks.push(`${ctx.getType()}:${data.id}`);
    return data.vip === true;
  }
}

@Controller()
@UseGuards(OnlyVipGuard)
class VipController {
  handled: string[] = [];

  @Subscribe({ pubsub: 'bus', topic: 'vip' })
  onEvent(data: { id: string }) {
    this.handled.push(`event:${data.id}`);
  }

  @OnBinding('tick')
  onTick(data: { id: string }) {
    this.handled.push(`tick:${data.id}`);
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestScoped {
  @Subscribe({ pubsub: 'bus', topic: 'scoped' })
  onEvent() {}

  @OnBinding('scoped-tick')
  onTick() {}
}

@Module({
  imports: [
    DaprModule.forRoot({
      appId: 'binder',
      components: [
        { name: 'bus', type: 'pubsub.in-memory' },
        { name: 'tick', type: 'bindings.cron', metadata: { schedule: '@every 1h' } },
        { name: 'scoped-tick', type: 'bindings.cron', metadata: { schedule: '@every 1h' } },
      ],
    }),
  ],
  controllers: [VipController],
  providers: [OnlyVipGuard, RequestScoped],
})
class BinderModule {}

describe('one handler binder for @Subscribe and @OnBinding', () => {
  it("runs a controller's class-referenced guard for both, and never retries its denial", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const dapr = await DaprTestingModule.create(BinderModule);
    try {
      await dapr.publish('bus', 'vip', { id: 'a', vip: true });
      await dapr.publish('bus', 'vip', { id: 'b' });
      await dapr.settle();
      await dapr.triggerBinding('tick', { id: 'c', vip: true });
      await expect(dapr.triggerBinding('tick', { id: 'd' })).rejects.toMatchObject({ status: 403 });

      const guard = dapr.get(OnlyVipGuard);
      // One check per delivery: the denials of b and d were not retried.
      expect(guard.checks.sort()).toEqual(['dapr-binding:c', 'dapr-binding:d', 'dapr:a', 'dapr:b']);
      expect(dapr.get(VipController).handled.sort()).toEqual(['event:a', 'tick:c']);

      const warnings = warn.mock.calls.map((c) => String(c[0]));
      expect(warnings.some((w) => /RequestScoped: @Subscribe on a request-scoped provider is not supported/.test(w))).toBe(true);
      expect(warnings.some((w) => /RequestScoped: @OnBinding on a request-scoped provider is not supported/.test(w))).toBe(true);
    } finally {
      await dapr.close();
      warn.mockRestore();
    }
  });
});
