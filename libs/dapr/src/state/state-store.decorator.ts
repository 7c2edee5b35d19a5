import { Inject } from '@nestjs/common';
import { DecoratorUsageError } from '../errors/decorator.errors';
import { declareStateStoreName } from './state-store.registry';
import type { StateStore as StateStoreContract } from './state.interfaces';

/**
 * The handle type, under the decorator's name so that
 * `@StateStore('orders') orders: StateStore<Order>` reads naturally.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StateStore<T = unknown> extends StateStoreContract<T> {}

/**
 * The injection token of the `StateStore` handle for one store name. Calling it
 * before the app compiles (e.g. in `@Inject(getStateStoreToken('orders'))`)
 * also makes DaprModule provide that handle.
 */
export function getStateStoreToken(name: string): string {
  declareStateStoreName(name);
  return `dapr:state-store:${name}`;
}

/**
 * Injects a `StateStore<T>` handle bound to the named state store:
 * `constructor(@StateStore('orders') private readonly orders: StateStore<Order>) {}`.
 * The name is recorded when the class is declared, so DaprModule provides the
 * handle without any registration by the app.
 */
export function StateStore(name: string): ParameterDecorator & PropertyDecorator {
  if (typeof name !== 'string' || name === '') throw new DecoratorUsageError('@StateStore(name)', 'needs a state store name');
  return Inject(getStateStoreToken(name));
}
