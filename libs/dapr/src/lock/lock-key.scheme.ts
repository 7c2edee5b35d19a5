import { ComponentConfigError } from '../errors/component-config.error';
import type { ConfigSource } from '../errors/component-config.error';

const PREFIX = 'lock';
const SEPARATOR = '||';

/**
 * Dapr's lock key scheme (`pkg/components/lock/lock_config.go`), so that a
 * Dapr app and this one contend on the same key: the component metadata
 * `keyPrefix` (name matched case-insensitively, value lower-cased) picks
 * `lock||<appId>||<id>` (appid, the default; `lock||<id>` without an app id),
 * `lock||<store>||<id>` (name), `lock||<id>` (none) or `lock||<prefix>||<id>`.
 * Unlike state, there is no `namespace` strategy: it is a custom prefix here.
 */
export class LockKeyScheme {
  private constructor(private readonly prefix: string) {}

  static fromMetadata(store: string, properties: Record<string, string>, appId: string, source?: ConfigSource): LockKeyScheme {
    let strategy = 'appid';
    for (const [k, v] of Object.entries(properties)) {
      if (k.toLowerCase() === 'keyprefix') {
        strategy = String(v).toLowerCase();
        break;
      }
    }
    if (strategy.includes(SEPARATOR)) {
      // daprd fails the component's init: "failed to save lock keyprefix".
      throw new ComponentConfigError(`component "${store}": metadata "keyPrefix" "${strategy}" can't contain "||"`, source, store, 'keyPrefix');
    }
    switch (strategy) {
      case 'none':
        return new LockKeyScheme(PREFIX + SEPARATOR);
      case 'name':
        return new LockKeyScheme(PREFIX + SEPARATOR + store + SEPARATOR);
      case 'appid':
        return new LockKeyScheme(appId ? PREFIX + SEPARATOR + appId + SEPARATOR : PREFIX + SEPARATOR);
      default:
        return new LockKeyScheme(PREFIX + SEPARATOR + strategy + SEPARATOR);
    }
  }

  /** The storage key of a resource id, or undefined when the id contains `||` (Dapr refuses it). */
  toStorage(resourceId: string): string | undefined {
    return resourceId.includes(SEPARATOR) ? undefined : this.prefix + resourceId;
  }
}
