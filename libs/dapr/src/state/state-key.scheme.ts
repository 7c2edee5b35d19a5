import { ComponentConfigError } from '../errors/component-config.error';
import { StateKeyInvalidError } from '../errors/state.errors';

const SEPARATOR = '||';

/**
 * Dapr's state key scheme (`pkg/components/state/state_config.go`): the
 * component metadata `keyPrefix` (name matched case-insensitively, value
 * lower-cased) picks the prefix put in front of every key.
 */
export class StateKeyScheme {
  /** `"<prefix>||"`, or `""` for `keyPrefix: none` / an empty app id. */
  readonly prefix: string;

  private constructor(prefix: string, separatorAlways = false) {
    this.prefix = prefix || separatorAlways ? prefix + SEPARATOR : '';
  }

  static fromMetadata(
    store: string,
    properties: Record<string, string>,
    appId: string,
    namespace?: string,
  ): StateKeyScheme {
    let strategy = 'appid';
    for (const [k, v] of Object.entries(properties)) {
      if (k.toLowerCase() === 'keyprefix') strategy = String(v).toLowerCase();
    }
    switch (strategy) {
      case 'appid':
        return new StateKeyScheme(appId);
      case 'name':
        return new StateKeyScheme(store);
      case 'namespace':
        // Dapr: "<NAMESPACE>.<appId>", falling back to the app id without a namespace.
        return new StateKeyScheme(namespace ? `${namespace}.${appId}` : appId);
      case 'none':
        return new StateKeyScheme('');
      default:
        if (strategy.includes(SEPARATOR)) {
          throw new ComponentConfigError(
            `component "${store}": metadata "keyPrefix" "${strategy}" must not contain "||"`,
            undefined,
            store,
            'keyPrefix',
          );
        }
        // A custom prefix; an empty one still gets the separator, as in Dapr: "||key".
        return new StateKeyScheme(strategy, true);
    }
  }

  /** The storage key for an application key; rejects empty keys and keys with `||`. */
  toStorage(key: string): string {
    if (typeof key !== 'string' || key === '') {
      throw new StateKeyInvalidError(String(key), 'a state key is required');
    }
    if (key.includes(SEPARATOR)) throw new StateKeyInvalidError(key);
    return this.prefix + key;
  }

  /** The application key of a storage key: Dapr keeps the part between the first and second `||`. */
  fromStorage(stored: string): string {
    const first = stored.indexOf(SEPARATOR);
    if (first < 0) return stored;
    const rest = stored.slice(first + SEPARATOR.length);
    const second = rest.indexOf(SEPARATOR);
    return second < 0 ? rest : rest.slice(0, second);
  }
}
