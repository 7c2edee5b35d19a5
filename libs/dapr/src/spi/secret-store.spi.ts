import type { Component } from './component.spi';

export type SecretStoreFeature = 'MULTIPLE_KEY_VALUES_PER_SECRET';

export interface SecretStoreDriver extends Component {
  features(): readonly SecretStoreFeature[];
  /** Returns the secret's key/value map, or `undefined` when no such secret exists. */
  getSecret(name: string, metadata: Record<string, string>): Promise<Record<string, string> | undefined>;
  bulkGetSecret(metadata: Record<string, string>): Promise<Record<string, Record<string, string>>>;
}
