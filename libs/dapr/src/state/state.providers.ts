import type { Provider } from '@nestjs/common';
import { OutboxCommits } from './outbox/outbox-commits';
import { OutboxRelay } from './outbox/outbox-relay';
import { StateService } from './state.service';
import { getStateStoreToken } from './state-store.decorator';
import { StateStoreHandle } from './state-store.handle';
import { declaredStateStoreNames } from './state-store.registry';

/** The state block's providers for DaprModule. */
export const stateProviders: Provider[] = [StateService, OutboxCommits, OutboxRelay];

export const stateExports = [StateService];

/** The provider of the `@StateStore(name)` handle. */
export function stateStoreProvider(name: string): Provider & { provide: string } {
  return {
    provide: getStateStoreToken(name),
    inject: [StateService],
    useFactory: (state: StateService) => new StateStoreHandle(state, name),
  };
}

/** One handle provider per store name the code's `@StateStore` decorators name, for one app. */
export function stateStoreHandleProviders(): (Provider & { provide: string })[] {
  return declaredStateStoreNames().map(stateStoreProvider);
}
