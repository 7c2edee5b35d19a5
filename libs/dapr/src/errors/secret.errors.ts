import { DaprError } from './dapr.error';

export class SecretStoreNotFoundError extends DaprError {
  constructor(
    readonly store: string,
    readonly known: string[],
  ) {
    super(
      `secret store "${store}" is not configured; known: ${known.length ? known.join(', ') : '(none)'}`,
      'ERR_SECRET_STORE_NOT_FOUND',
    );
  }
}

/** A secret (or a key inside it) does not exist. Never carries a secret value. */
export class SecretNotFoundError extends DaprError {
  constructor(
    readonly store: string,
    readonly secret: string,
    readonly key?: string,
  ) {
    super(
      key === undefined
        ? `secret "${secret}" not found in secret store "${store}"`
        : `key "${key}" of secret "${secret}" not found in secret store "${store}"`,
      'ERR_SECRET_GET',
    );
  }
}
