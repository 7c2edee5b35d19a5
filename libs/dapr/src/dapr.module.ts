import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BUILTIN_DRIVERS } from './components/builtin-drivers';
import { ComponentRegistry } from './runtime/component-registry';
import { ComponentRuntime } from './runtime/component-runtime';
import { DAPR_MODULE_OPTIONS, DaprConfigurableModuleClass, type DaprModuleAsyncOptions } from './runtime/dapr-module.definition';
import { withSidecarMode } from './sidecar/remote/sidecar-mode';
import type { DaprModuleOptions } from './runtime/dapr-module-options.interface';
import { SecretsService } from './secrets/secrets.service';
import { OperationRunner } from './operations/operation-runner';
import { DaprHandlerBinder } from './handlers/handler-binder';
import { DaprHandlerExplorer } from './handlers/handler-explorer';
import { observabilityExports, observabilityProviders } from './observability/observability.providers';
import { resiliencyExports, resiliencyProviders } from './resiliency/resiliency.providers';
import { invocationExports, invocationProviders } from './invocation/invocation.providers';
import { bindingsExports, bindingsProviders } from './bindings/bindings.providers';
import { pubsubExports, pubsubProviders } from './pubsub/pubsub.providers';
import { stateExports, stateProviders, stateStoreHandleProviders } from './state/state.providers';
import { lockExports, lockProviders } from './lock/lock.providers';
import { configurationExports, configurationProviders } from './configuration/configuration.providers';
import { listReadAtScan } from './handlers/nest-internals';
import { MicroservicesHost } from './microservices/microservices-host';

/**
 * Resolved once all components are initialised. Nest awaits async factories
 * before any lifecycle hook runs, so every block sees a ready runtime and the
 * app is not ready until its components are.
 */
export const DAPR_RUNTIME_READY = Symbol('dapr:runtime-ready');

const runtimeReady: Provider = {
  provide: DAPR_RUNTIME_READY,
  inject: [ComponentRuntime],
  useFactory: async (runtime: ComponentRuntime) => {
    await runtime.start();
    return true;
  },
};

/**
 * The drivers of this app: the built-in ones, then the app's own `drivers`
 * (third-party or its own; they win for the same type and version). The
 * runtime knows no driver; this is where they meet it.
 */
const componentRegistry: Provider = {
  provide: ComponentRegistry,
  inject: [DAPR_MODULE_OPTIONS],
  useFactory: (options: DaprModuleOptions) =>
    new ComponentRegistry([...BUILTIN_DRIVERS, ...(options.drivers ?? [])]),
};

/**
 * Providers of the building blocks. Each block adds its own line here; keep
 * them in dependency order (runtime first).
 */
const blockProviders: Provider[] = [componentRegistry, ComponentRuntime, runtimeReady, SecretsService, ...observabilityProviders, ...resiliencyProviders, OperationRunner, DaprHandlerExplorer, DaprHandlerBinder, ...invocationProviders, ...bindingsProviders, ...pubsubProviders, ...stateProviders, ...lockProviders, ...configurationProviders, MicroservicesHost];

const blockExports = [ComponentRuntime, SecretsService, ...observabilityExports, ...resiliencyExports, ...invocationExports, ...bindingsExports, ...pubsubExports, ...stateExports, ...lockExports, ...configurationExports];

/**
 * nest-dapr for one app. Every `forRoot`/`forRootAsync` is a module instance of
 * its own: its components, driver registry, secrets, tracer, metrics,
 * subscriptions and `@StateStore` handles belong to it, so several apps in one
 * process (as DaprTestingModule makes them) never see each other's.
 */
@Module({
  imports: [DiscoveryModule],
  providers: blockProviders,
  exports: blockExports,
})
export class DaprModule extends DaprConfigurableModuleClass {
  // Sidecar mode's providers pick in-process or sidecar at start-up; the handles list is read at scan
  // time, so it is added last (withSidecarMode copies the provider list).
  static override forRoot(options: DaprModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return withStateStoreHandles(withSidecarMode(super.forRoot(options)));
  }

  static override forRootAsync(options: DaprModuleAsyncOptions): DynamicModule {
    return withStateStoreHandles(withSidecarMode(super.forRootAsync(options)));
  }
}

/**
 * Adds this instance's `@StateStore(name)` handles. They are listed when Nest
 * scans the module, so a feature module whose file loads after the one that
 * calls `forRoot()` still gets its handles.
 */
function withStateStoreHandles(module: DynamicModule): DynamicModule {
  return {
    ...module,
    providers: listReadAtScan(module.providers ?? [], stateStoreHandleProviders),
    exports: listReadAtScan(module.exports ?? [], () => stateStoreHandleProviders().map((p) => p.provide)),
  };
}
