import { AppendHandlerMetadata, readHandlerMetadata } from '../handlers/handler-metadata';
import { DAPR_CONFIGURATION_METADATA } from './configuration.constants';

export interface OnConfigurationChangeOptions {
  /** Subscribe request metadata for the store (e.g. `{ pgNotifyChannel: 'config' }` for PostgreSQL). */
  metadata?: Record<string, string>;
}

export interface OnConfigurationChangeMetadata extends OnConfigurationChangeOptions {
  store: string;
  keys: string[];
}

/**
 * Subscribes the method to changes of `keys` (every key when empty) in the
 * configuration store `store` once the app is bootstrapped. The handler
 * receives `(items, { store, id })`, `items` being the changed items by key
 * (a deleted key has an empty value and version). Works on controllers and
 * providers; several uses on one method subscribe it several times.
 * @publicApi
 */
export function OnConfigurationChange(store: string, keys: string[] = [], options: OnConfigurationChangeOptions = {}): MethodDecorator {
  return AppendHandlerMetadata<OnConfigurationChangeMetadata>(DAPR_CONFIGURATION_METADATA, { store, keys: [...keys], ...options });
}

/** The `@OnConfigurationChange` uses on a method, or undefined. */
export function configurationHandlersOf(method: object): OnConfigurationChangeMetadata[] | undefined {
  return readHandlerMetadata<OnConfigurationChangeMetadata[]>(DAPR_CONFIGURATION_METADATA, method);
}
