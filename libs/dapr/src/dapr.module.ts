import { Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DaprConfigurableModuleClass } from './dapr-module.definition';
import { ComponentRuntime } from './runtime/component-runtime';
import { SecretsService } from './secrets/secrets.service';
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
 * Providers of the building blocks. Each block adds its own line here; keep
 * them in dependency order (runtime first).
 */
const blockProviders: Provider[] = [ComponentRuntime, runtimeReady, SecretsService, ...observabilityProviders, ...resiliencyProviders, ...invocationProviders, ...bindingsProviders, ...pubsubProviders, ...stateProviders];

const blockExports = [ComponentRuntime, SecretsService, ...observabilityExports, ...resiliencyExports, ...invocationExports, ...bindingsExports, ...pubsubExports, ...stateExports];

// One `StateStore` handle provider per `@StateStore(name)` in the app, added as classes are declared.
bindStateStoreHandles(blockProviders, blockExports);

@Module({
  imports: [DiscoveryModule],
  providers: blockProviders,
  exports: blockExports,
})
export class DaprModule extends DaprConfigurableModuleClass {}
