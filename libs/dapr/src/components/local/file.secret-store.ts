import { readFile } from 'node:fs/promises';
import { ComponentInitError } from '../../errors/component-init.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { SecretStoreDriver, SecretStoreFeature } from '../../spi/secret-store.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { FILE_SECRET_STORE_METADATA } from './local.metadata';

/**
 * `secretstores.local.file`: secrets from a JSON file (`secretsFile`). Nested
 * objects are flattened with `nestedSeparator` (default `:`), so
 * `{"db":{"password":"x"}}` is the secret `db:password`. With
 * `multiValued: true` each top-level key is one secret holding the flattened
 * keys below it, like Dapr.
 */
export class FileSecretStore implements SecretStoreDriver {
  private secrets = new Map<string, Record<string, string>>();
  private multiValued = false;

  async init(metadata: ComponentMetadata): Promise<void> {
    const m = decodeMetadata(FILE_SECRET_STORE_METADATA, metadata);
    const file = m.secretsFile;
    const separator = m.nestedSeparator || ':';
    this.multiValued = m.multiValued;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ComponentInitError(metadata.name, metadata.type, `cannot read secretsFile ${file}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ComponentInitError(metadata.name, metadata.type, `secretsFile ${file} must hold a JSON object`);
    }
    this.secrets.clear();
    for (const [top, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (this.multiValued && value !== null && typeof value === 'object') {
        this.secrets.set(top, flatten(value as Record<string, unknown>, separator));
      } else {
        for (const [k, v] of Object.entries(flatten({ [top]: value }, separator))) this.secrets.set(k, { [k]: v });
      }
    }
  }

  features(): readonly SecretStoreFeature[] {
    return this.multiValued ? ['MULTIPLE_KEY_VALUES_PER_SECRET'] : [];
  }

  async getSecret(name: string): Promise<Record<string, string> | undefined> {
    const secret = this.secrets.get(name);
    return secret && { ...secret };
  }

  async bulkGetSecret(): Promise<Record<string, Record<string, string>>> {
    return Object.fromEntries([...this.secrets].map(([k, v]) => [k, { ...v }]));
  }
}

function flatten(obj: Record<string, unknown>, separator: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}${separator}${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, flatten(value as Record<string, unknown>, separator, path));
    } else {
      out[path] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return out;
}
