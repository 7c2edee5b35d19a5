import { DaprError } from './dapr.error';

/** No configuration store of that name is configured (Dapr's `ERR_CONFIGURATION_STORE_NOT_FOUND`); lists the known ones. */
export class ConfigurationStoreNotFoundError extends DaprError {
  readonly nonRetriable = true;
  constructor(
    readonly store: string,
    readonly known: string[],
  ) {
    super(
      known.length
        ? `configuration store "${store}" is not configured; known: ${known.join(', ')}`
        : `configuration store "${store}" is not configured: no configuration store is (add a component of type configuration.*)`,
      known.length ? 'ERR_CONFIGURATION_STORE_NOT_FOUND' : 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED',
    );
  }
}

/** A configuration request the block refuses before reaching the store (a key that is not a non-empty string...). */
export class ConfigurationRequestError extends DaprError {
  readonly nonRetriable = true;
  constructor(
    readonly store: string,
    reason: string,
  ) {
    super(`configuration store "${store}": ${reason}`, 'ERR_MALFORMED_REQUEST');
  }
}

/** Reading items failed in the store (Dapr's `ERR_CONFIGURATION_GET`, message `failed to get [keys] from Configuration store …`). */
export class ConfigurationGetError extends DaprError {
  constructor(
    readonly store: string,
    readonly keys: readonly string[],
    cause: unknown,
  ) {
    super(`failed to get [${keys.join(' ')}] from Configuration store ${store}: ${(cause as Error)?.message ?? String(cause)}`, 'ERR_CONFIGURATION_GET', { cause });
  }
}

/** Starting a subscription failed (Dapr's `ERR_CONFIGURATION_SUBSCRIBE`). */
export class ConfigurationSubscribeError extends DaprError {
  constructor(
    readonly store: string,
    readonly keys: readonly string[],
    cause: unknown,
  ) {
    super(`failed to subscribe [${keys.join(' ')}] from Configuration store ${store}: ${(cause as Error)?.message ?? String(cause)}`, 'ERR_CONFIGURATION_SUBSCRIBE', { cause });
  }
}

/** No subscription has that id, or stopping it failed (Dapr's `ERR_CONFIGURATION_UNSUBSCRIBE`). */
export class ConfigurationUnsubscribeError extends DaprError {
  constructor(
    readonly id: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`failed to unsubscribe to configuration request ${id}: ${reason}`, 'ERR_CONFIGURATION_UNSUBSCRIBE', cause === undefined ? undefined : { cause });
  }
}
