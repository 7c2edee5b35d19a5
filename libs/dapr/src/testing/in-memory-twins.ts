import { componentKind, type ComponentSpec } from '../runtime/component-definition';

/** Component type DaprTestingModule uses for every binding (see testing.binding.ts). */
export const TESTING_BINDING_TYPE = 'bindings.testing';

/** Secret stores that read only local files or the environment; tests keep them as they are. */
const LOCAL_SECRET_STORES = new Set(['secretstores.local.env', 'secretstores.local.file']);

export interface TwinOptions {
  /** How soon the in-memory broker redelivers a message that came back RETRY (Go duration). */
  redeliverInterval: string;
  /** In-process bus name shared with other harnesses; undefined = a private bus per component. */
  sharedBus?: string;
}

/**
 * Maps one app's components to their in-memory twins, keeping names (so
 * `@StateStore('orders')` and `@Subscribe({ pubsub: 'pubsub' })` still find
 * them) and dropping broker-specific metadata, which the twins do not read.
 * Name-resolution components are dropped: the testing module stubs apps.
 */
export function toInMemoryTwins(specs: ComponentSpec[], options: TwinOptions): ComponentSpec[] {
  const out: ComponentSpec[] = [];
  for (const spec of specs) {
    const kind = componentKind(spec.type);
    const twin = (type: string, metadata: ComponentSpec['metadata'] = []): ComponentSpec => ({
      ...spec,
      type,
      version: 'v1',
      metadata,
      // A twin never needs secrets; keeping `auth.secretStore` would require the store.
      secretStore: undefined,
      initTimeout: '5s',
      ignoreErrors: false,
    });
    switch (kind) {
      case 'state':
        // The outbox is the state block's, not the store's: the twin keeps it, on the twins of its pub/subs.
        out.push(twin('state.in-memory', spec.metadata.filter((m) => OUTBOX_FIELDS.has(m.name.toLowerCase()))));
        break;
      case 'pubsub':
        out.push(
          twin('pubsub.in-memory', [
            { name: 'redeliverInterval', value: options.redeliverInterval },
            // Private by default so that harnesses open at the same time never see each other's events.
            ...(options.sharedBus ? [{ name: 'busName', value: `${options.sharedBus}:${spec.name}` }] : [{ name: 'shared', value: 'false' }]),
            ...consumerId(spec),
          ]),
        );
        break;
      case 'bindings':
        out.push(twin(TESTING_BINDING_TYPE, [{ name: 'originalType', value: spec.type }]));
        break;
      case 'lock':
        // Keeps keyPrefix: the key scheme is the block's, and a twin contends on the same keys.
        out.push(twin('lock.in-memory', spec.metadata.filter((e) => e.name.toLowerCase() === 'keyprefix')));
        break;
      case 'secretstores':
        out.push(LOCAL_SECRET_STORES.has(spec.type) ? spec : twin('secretstores.local.env'));
        break;
      case 'configuration':
        out.push(twin('configuration.in-memory'));
        break;
      default:
        // nameresolution.*, ...: nothing in a unit test should reach them.
        break;
    }
  }
  return out;
}

const OUTBOX_FIELDS = new Set(['outboxpublishpubsub', 'outboxpublishtopic', 'outboxpubsub', 'outboxdiscardwhenmissingstate']);

/** A literal consumerID keeps its meaning (instances of one group compete) in the twin. */
function consumerId(spec: ComponentSpec): ComponentSpec['metadata'] {
  const m = spec.metadata.find((e) => e.name.toLowerCase() === 'consumerid');
  return m && typeof m.value === 'string' ? [{ name: 'consumerID', value: m.value }] : [];
}
