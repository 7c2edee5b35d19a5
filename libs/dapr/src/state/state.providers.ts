import type { Provider } from '@nestjs/common';
import { StateService } from './state.service';
import { getStateStoreToken } from './state-store.decorator';
import { StateStoreHandle } from './state-store.handle';
import { bindStateStoreProviders } from './state-store.registry';

/** The state block's providers for DaprModule. */
export const stateProviders: Provider[] = [StateService];

export const stateExports = [StateService];

/** The provider of the `@StateStore(name)` handle. */
export function stateStoreProvider(name: string): Provider & { provide: string } {
  return {
    provide: getStateStoreToken(name),
    inject: [StateService],
    useFactory: (state: StateService) => new StateStoreHandle(state, name),
  };
}

/** Adds a handle provider (and export) to DaprModule's lists for every `@StateStore` name, now and later. */
export function bindStateStoreHandles(providers: Provider[], exports: unknown[]): void {
  bindStateStoreProviders(providers, exports, stateStoreProvider);
}
