import {
  Controller,
  ForbiddenException,
  Inject,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type PipeTransform,
  type ExecutionContext,
} from '@nestjs/common';
import * as nestConstants from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import * as microservicesConstants from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum';
import { DiscoveryModule, ExternalContextCreator } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { DaprHandlerBinder, isRefusal } from '../../libs/dapr/src/handlers/handler-binder';
import { DaprHandlerExplorer } from '../../libs/dapr/src/handlers/handler-explorer';
import { HandlerMetadata, readHandlerMetadata } from '../../libs/dapr/src/handlers/handler-metadata';
import * as internals from '../../libs/dapr/src/handlers/nest-internals';

/**
 * Everything handlers/nest-internals.ts assumes about NestJS, checked against
 * the installed Nest. When one of these fails, Nest changed an internal: fix
 * the adapter (and only the adapter), then this test.
 */
const PROBE = 'dapr:internals-probe';
const Probe = () => HandlerMetadata(PROBE, true);

@Injectable()
class DenyGuard implements CanActivate {
  calls = 0;
  canActivate(_ctx: ExecutionContext): boolean {
    this.calls++;
    return false;
  }
}

class IdentityPipe implements PipeTransform {
  transform(value: unknown) {
    return value;
  }
}

@Controller()
class GuardedController {
  @Probe()
  @UseGuards(DenyGuard)
  guarded(data: unknown) {
    return data;
  }
}

@Injectable()
class ThrowingProvider {
  @Probe()
  forbidden() {
    throw new ForbiddenException('the handler itself says no');
  }
}

@Module({ imports: [DiscoveryModule], controllers: [GuardedController], providers: [DenyGuard, ThrowingProvider, DaprHandlerExplorer, DaprHandlerBinder] })
class ProbeModule {}

describe('Nest internals the handler binder relies on', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    await moduleRef.init();
  });
  afterAll(() => moduleRef.close());

  const handlers = () => moduleRef.get(DaprHandlerExplorer).explore('@Probe', (m) => readHandlerMetadata<boolean>(PROBE, m));
  const find = (name: string) => handlers().find((h) => h.methodName === name)!;

  it('metadata keys and param types are the values Nest uses', () => {
    expect(internals.ROUTE_ARGS_METADATA).toBe(nestConstants.ROUTE_ARGS_METADATA);
    expect(internals.PIPES_METADATA).toBe(nestConstants.PIPES_METADATA);
    expect(internals.PATH_METADATA).toBe(nestConstants.PATH_METADATA);
    expect(internals.METHOD_METADATA).toBe(nestConstants.METHOD_METADATA);
    expect(internals.PATTERN_METADATA).toBe(microservicesConstants.PATTERN_METADATA);
    expect(internals.PATTERN_HANDLER_METADATA).toBe(microservicesConstants.PATTERN_HANDLER_METADATA);
    expect(internals.PATTERN_EXTRAS_METADATA).toBe(microservicesConstants.PATTERN_EXTRAS_METADATA);
    expect(internals.TRANSPORT_METADATA).toBe(microservicesConstants.TRANSPORT_METADATA);
    expect(internals.PATTERN_HANDLER_MESSAGE).toBe(PatternHandler.MESSAGE);
    expect(internals.PATTERN_HANDLER_EVENT).toBe(PatternHandler.EVENT);
    expect(internals.RPC_PARAM_PAYLOAD).toBe(RpcParamtype.PAYLOAD);
    expect(internals.RPC_PARAM_CONTEXT).toBe(RpcParamtype.CONTEXT);
    expect(microservicesConstants.PARAM_ARGS_METADATA).toBe(nestConstants.ROUTE_ARGS_METADATA);
    expect(internals.ROUTE_PARAM_BODY).toBe(RouteParamtypes.BODY);
    expect(internals.ROUTE_PARAM_HEADERS).toBe(RouteParamtypes.HEADERS);
  });

  it("a discovery wrapper's host token is its module's key", () => {
    const h = find('guarded');
    const key = internals.moduleKeyOf(h.wrapper);
    expect(key).toBeDefined();
    const modules = moduleRef.get(ExternalContextCreator)['modulesContainer'] as Map<string, { controllers: Map<unknown, unknown> }>;
    expect(modules.get(key!)?.controllers.has(GuardedController)).toBe(true);
  });

  it("ExternalContextCreator misses a controller's class-referenced guard unless pointed at its module", async () => {
    const h = find('guarded');
    const guard = moduleRef.get(DenyGuard);
    const creator = moduleRef.get(ExternalContextCreator);
    // Nest's own lookup searches module providers only: the guard is not found and does not run.
    // If this starts to fail, Nest fixed the lookup and contextCreatorInModule can go.
    const plain = creator.create(h.instance as Record<string, unknown>, h.method, h.methodName);
    guard.calls = 0;
    await expect(plain('payload', {})).resolves.toBe('payload');
    expect(guard.calls).toBe(0);
    // Through the adapter's view (what the binder does), the guard runs and denies.
    const bound = moduleRef.get(DaprHandlerBinder).bind(h, { contextType: 'dapr', argNames: ['data', 'event'] });
    const denied = await bound('payload', {}).catch((err: unknown) => err);
    expect(guard.calls).toBe(1);
    expect(denied).toBeInstanceOf(ForbiddenException);
    expect(isRefusal(denied)).toBe(true);
  });

  it('tells a guard denial from a ForbiddenException the handler throws itself', async () => {
    const bound = moduleRef.get(DaprHandlerBinder).bind(find('forbidden'), { contextType: 'dapr', argNames: ['data', 'event'] });
    const err = await bound('payload', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenException);
    expect(isRefusal(err)).toBe(false);
  });

  it('reads a dynamic module\'s providers and exports by iterating them when it scans, after forRoot() returned', async () => {
    const late: string[] = [];
    @Module({})
    class LateModule {}
    const dynamic = {
      module: LateModule,
      global: true,
      providers: internals.listReadAtScan([], () => late.map((name) => ({ provide: `late:${name}`, useValue: name }))),
      exports: internals.listReadAtScan([], () => late.map((name) => `late:${name}`)),
    };
    // Declared after the dynamic module object exists, as a feature module loaded later would be.
    late.push('orders');
    @Injectable()
    class Consumer {
      constructor(@Inject('late:orders') readonly value: string) {}
    }
    const ref = await Test.createTestingModule({ imports: [dynamic], providers: [Consumer] }).compile();
    expect(ref.get(Consumer).value).toBe('orders');
    await ref.close();
  });

  it('global pipes are read from the ApplicationConfig behind the pipes context', async () => {
    const creator = moduleRef.get(ExternalContextCreator);
    expect(internals.hasGlobalPipes(creator)).toBe(false);
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new IdentityPipe());
    expect(internals.hasGlobalPipes(app.get(ExternalContextCreator))).toBe(true);
    await app.close();
  });
});
