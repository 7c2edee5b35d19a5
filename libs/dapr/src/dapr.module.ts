import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BUILTIN_DRIVERS } from './components/builtin-drivers';
import { ComponentRegistry, processWideRegistrations } from './runtime/component-registry';
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
import { bindStateStoreHandles, stateExports, stateProviders } from './state/state.providers';

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
 * The drivers of this app: the built-in ones, then any registered with the
 * deprecated process-wide `registerComponent`, then the app's own `drivers`.
 * The runtime knows no driver; this is where they meet it.
 */
const componentRegistry: Provider = {
  provide: ComponentRegistry,
  inject: [DAPR_MODULE_OPTIONS],
  useFactory: (options: DaprModuleOptions) =>
    new ComponentRegistry([...BUILTIN_DRIVERS, ...processWideRegistrations(), ...(options.drivers ?? [])]),
};

/**
 * Providers of the building blocks. Each block adds its own line here; keep
 * them in dependency order (runtime first).
 */
const blockProviders: Provider[] = [componentRegistry, ComponentRuntime, runtimeReady, SecretsService, ...observabilityProviders, ...resiliencyProviders, OperationRunner, DaprHandlerExplorer, DaprHandlerBinder, ...invocationProviders, ...bindingsProviders, ...pubsubProviders, ...stateProviders];

const blockExports = [ComponentRuntime, SecretsService, ...observabilityExports, ...resiliencyExports, ...invocationExports, ...bindingsExports, ...pubsubExports, ...stateExports];

// One `StateStore` handle provider per `@StateStore(name)` in the app, added as classes are declared.
bindStateStoreHandles(blockProviders, blockExports);

@Module({
  imports: [DiscoveryModule],
  providers: blockProviders,
  exports: blockExports,
})
export class DaprModule extends DaprConfigurableModuleClass {
  // Both entry points go through sidecar mode's providers, which pick in-process or sidecar at start-up.
  static override forRoot(options: DaprModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return withSidecarMode(super.forRoot(options));
  }

  static override forRootAsync(options: DaprModuleAsyncOptions): DynamicModule {
    return withSidecarMode(super.forRootAsync(options));
  }
}
