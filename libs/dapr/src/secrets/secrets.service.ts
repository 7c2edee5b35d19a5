import { Injectable } from '@nestjs/common';
import type { SecretStoreDriver } from '../spi/secret-store.spi';
import { SecretNotFoundError, SecretStoreNotFoundError } from '../errors/secret.errors';
import { ComponentRuntime } from '../runtime/component-runtime';

/** Reads secrets from the configured secret store components (Dapr's secrets API). */
@Injectable()
export class SecretsService {
  constructor(private readonly runtime: ComponentRuntime) {}

  async get(store: string, key: string, metadata: Record<string, string> = {}): Promise<Record<string, string>> {
    const secret = await this.store(store).getSecret(key, metadata);
    if (secret === undefined) throw new SecretNotFoundError(store, key);
    return secret;
  }

  async getBulk(store: string, metadata: Record<string, string> = {}): Promise<Record<string, Record<string, string>>> {
    return this.store(store).bulkGetSecret(metadata);
  }

  private store(name: string): SecretStoreDriver {
    const loaded = this.runtime.find<SecretStoreDriver>('secretstores', name);
    if (!loaded) throw new SecretStoreNotFoundError(name, this.runtime.names('secretstores'));
    return loaded.driver;
  }
}
