import { DaprTestingError } from '../errors/testing.errors';
import type { DynamicModule, INestApplication, Provider, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DaprModule } from '../dapr.module';
import { listReadAtScan } from '../handlers/nest-internals';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { DAPR_MODULE_OPTIONS } from '../runtime/dapr-module.definition';
import type { DaprModuleOptions } from '../runtime/dapr-module-options.interface';
import { InvocationService } from '../invocation/invocation.service';
import { NameResolutionService } from '../invocation/name-resolution.service';
import { OperationRunner } from '../operations/operation-runner';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRegistry } from '../runtime/component-registry';
import { ComponentRuntime } from '../runtime/component-runtime';
import { AppStubs, type AppStub } from './app-stubs';
import { DaprTestHarness, type DaprTestContext } from './dapr-test.harness';
import { PubSubRecorder } from './pubsub-recorder';
import { TestingComponentRuntime } from './testing-component.runtime';
import { TestingInvocationService } from './testing-invocation.service';
import type { InMemoryConfigurationInput } from '../components/in-memory/in-memory.configuration-store';

export interface DaprTestingOptions {
  /** Stubbed apps answering InvocationService / `@InvokeService` calls, by app id. */
  apps?: Record<string, AppStub>;
  /** State to seed before the app initialises: `{ store: { key: value } }`. */
  state?: Record<string, Record<string, unknown>>;
  /** Configuration items to write before the app initialises: `{ store: { key: 'value' | { value, version, metadata } } }`. */
  configuration?: Record<string, Record<string, InMemoryConfigurationInput>>;
  /** How soon a message that came back RETRY is redelivered (Go duration), default `10ms`. */
  redeliverInterval?: string;
  /**
   * Share the in-memory brokers with every other harness given the same name
   * (per pub/sub component name), e.g. to run two apps of a system in one test.
   * Default: each harness has private brokers.
   */
  sharedBus?: string;
  /** Upper bound for `settle()`, default 5000 ms. */
  settleTimeoutMs?: number;
  /** Let calls to apps without a stub go out over the network (default: they fail with a hint). */
  invokePassThrough?: boolean;
  /** Further overrides on the testing module builder (`overrideProvider(...)` etc.). */
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder | void;
  /** Applied to the Nest application before `init()` (global pipes, prefixes, ...). */
  configureApp?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Runs a Nest application module with every Dapr component swapped for its
 * in-memory twin, so tests need no broker, database or second app:
 *
 * ```ts
 * const dapr = await DaprTestingModule.create(AppModule, { apps: { checkout: { 'POST checkout': () => ({ ok: true }) } } });
 * await request(dapr.app.getHttpServer()).post('/orders').send(order).expect(201);
 * await dapr.settle();
 * expect(dapr.publishedData('order.created')).toHaveLength(1);
 * await dapr.close();
 * ```
 *
 * Or, keeping your own `Test.createTestingModule(...)`:
 * `DaprTestingModule.override(Test.createTestingModule({ imports: [AppModule] }))`, then
 * `DaprTestingModule.harnessOf(moduleRef)` after `compile()`.
 * @publicApi
 */
export class DaprTestingModule {
  /** Compiles `appModule` on in-memory components, initialises the Nest app (HTTP not listening) and returns the harness. */
  static async create(appModule: Type<unknown>, options: DaprTestingOptions = {}): Promise<DaprTestHarness> {
    let builder = DaprTestingModule.override(Test.createTestingModule({ imports: [appModule] }), options);
    builder = options.configure?.(builder) ?? builder;
    const moduleRef = await builder.compile();
    const harness = DaprTestingModule.harnessOf(moduleRef);
    try {
      for (const [store, entries] of Object.entries(options.state ?? {})) await harness.seed(store, entries);
      for (const [store, items] of Object.entries(options.configuration ?? {})) await harness.setConfiguration(store, items);
      const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
      await options.configureApp?.(app);
      await app.init();
      harness.attachApp(app);
    } catch (err) {
      await moduleRef.close().catch(() => undefined);
      throw err;
    }
    return harness;
  }

  /**
   * Adds the in-memory overrides to a testing module builder that imports an
   * app module (with `DaprModule.forRoot/forRootAsync` somewhere inside).
   */
  static override(builder: TestingModuleBuilder, options: DaprTestingOptions = {}): TestingModuleBuilder {
    const [runtime, invocation] = testingProviders(options);
    return builder
      .overrideProvider(ComponentRuntime)
      .useFactory({ inject: runtime.inject, factory: runtime.useFactory })
      .overrideProvider(InvocationService)
      .useFactory({ inject: invocation.inject, factory: invocation.useFactory });
  }

  /**
   * A stand-in for `DaprModule.forRoot()` when a test composes feature modules
   * itself: the same options (inline `components` or a `componentsPath`, all
   * turned into in-memory twins) plus the testing options; the harness is
   * injectable as `DaprTestHarness`.
   *
   * ```ts
   * const moduleRef = await Test.createTestingModule({
   *   imports: [DaprTestingModule.forRoot({ appId: 'order', components: [{ name: 'orders', type: 'state.redis' }] }), OrdersModule],
   * }).compile();
   * const dapr = moduleRef.get(DaprTestHarness);
   * ```
   */
  static forRoot(options: DaprModuleOptions & DaprTestingOptions = {}): DynamicModule {
    const { apps, state, configuration, redeliverInterval, sharedBus, settleTimeoutMs, invokePassThrough, configure, configureApp, ...daprOptions } = options;
    void state;
    void configuration;
    void configure;
    void configureApp;
    const base = DaprModule.forRoot({ ...daprOptions, appId: daprOptions.appId ?? process.env.APP_ID ?? 'test-app' });
    const harness: Provider = {
      provide: DaprTestHarness,
      // Injecting the runtime makes Nest create it first; the harness is keyed by it.
      inject: [ModuleRef, ComponentRuntime],
      useFactory: (moduleRef: ModuleRef, runtime: ComponentRuntime) => harnessFor(moduleRef, runtime),
    };
    const testing = testingProviders({ apps, redeliverInterval, sharedBus, settleTimeoutMs, invokePassThrough });
    return {
      ...base,
      // Provided after DaprModule's own providers, so these replace ComponentRuntime and InvocationService.
      // Base lists stay lazy: DaprModule adds the @StateStore handles when Nest scans the module.
      providers: listReadAtScan([], () => [...(base.providers ?? []), ...testing, harness]),
      exports: listReadAtScan([], () => [...(base.exports ?? []), DaprTestHarness]),
    };
  }

  /** The harness of a module compiled through `override()` (or an app created from it). */
  static harnessOf(moduleRef: TestingModule | INestApplication | ModuleRef): DaprTestHarness {
    return harnessFor(moduleRef, moduleRef.get(ComponentRuntime, { strict: false }));
  }
}

const contexts = new WeakMap<ComponentRuntime, DaprTestContext>();

function harnessFor(moduleRef: TestingModule | INestApplication | ModuleRef, runtime: ComponentRuntime): DaprTestHarness {
  const context = contexts.get(runtime);
  if (!context) throw new DaprTestingError('DaprTestingModule.harnessOf: this module was not built with DaprTestingModule.create(), override() or forRoot()');
  context.harness ??= new DaprTestHarness(moduleRef, context);
  return context.harness;
}

type FactoryProvider = { provide: Type<unknown>; inject: (Type<unknown> | string | symbol)[]; useFactory: (...args: any[]) => unknown };

/** The two providers every testing set-up replaces; one context (recorder, stubs) per call. */
function testingProviders(options: DaprTestingOptions): [FactoryProvider, FactoryProvider] {
  const context: DaprTestContext = {
    recorder: new PubSubRecorder(),
    stubs: new AppStubs(),
    settleTimeoutMs: options.settleTimeoutMs ?? 5000,
  };
  for (const [appId, stub] of Object.entries(options.apps ?? {})) context.stubs.set(appId, stub);
  const redeliverInterval = options.redeliverInterval ?? '10ms';
  return [
    {
      provide: ComponentRuntime,
      inject: [DAPR_MODULE_OPTIONS, ComponentRegistry],
      useFactory: (daprOptions: DaprModuleOptions, registry: ComponentRegistry) => {
        const runtime = new TestingComponentRuntime(daprOptions, registry, context.recorder, redeliverInterval, options.sharedBus);
        contexts.set(runtime, context);
        return runtime;
      },
    },
    {
      provide: InvocationService,
      inject: [ComponentRuntime, NameResolutionService, ResiliencyService, OperationRunner],
      useFactory: (runtime: ComponentRuntime, names: NameResolutionService, resiliency: ResiliencyService, runner: OperationRunner) =>
        new TestingInvocationService(runtime, names, resiliency, runner, context.stubs, options.invokePassThrough ?? false),
    },
  ];
}
