import type { ComponentMetadata } from '../../spi/component.spi';
import type { SecretStoreDriver, SecretStoreFeature } from '../../spi/secret-store.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { ENV_SECRET_STORE_METADATA } from './local.metadata';

/**
 * `secretstores.local.env`: each environment variable is a secret whose only key
 * is its name. With metadata `prefix`, only variables starting with it
 * (case-insensitive) are visible, and names are given without the prefix.
 */
export class EnvSecretStore implements SecretStoreDriver {
  private prefix = '';

  async init(metadata: ComponentMetadata): Promise<void> {
    this.prefix = decodeMetadata(ENV_SECRET_STORE_METADATA, metadata).prefix;
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret(name: string): Promise<Record<string, string> | undefined> {
    const wanted = (this.prefix + name).toUpperCase();
    // Environment names are case-sensitive on Linux; prefer the exact spelling.
    const exact = process.env[this.prefix + name];
    if (exact !== undefined) return { [name]: exact };
    if (!this.prefix) return undefined;
    const match = Object.keys(process.env).find((k) => k.toUpperCase() === wanted);
    return match === undefined ? undefined : { [name]: process.env[match] as string };
  }

  async bulkGetSecret(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    const upperPrefix = this.prefix.toUpperCase();
    for (const [key, value] of Object.entries(process.env)) {
      if (value === undefined || !key.toUpperCase().startsWith(upperPrefix)) continue;
      const name = key.slice(this.prefix.length);
      if (name) out[name] = { [name]: value };
    }
    return out;
  }
}
