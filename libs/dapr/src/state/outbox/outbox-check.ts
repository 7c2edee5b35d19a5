import type { ComponentRuntime, LoadedComponent } from '../../runtime/component-runtime';
import { metadataError } from '../../spi/kit/metadata/metadata-decoder';
import type { StateStoreDriver } from '../../spi/state.spi';
import { outboxConfigOf, type OutboxConfig } from './outbox-config';

/**
 * A state component's outbox, checked against what it needs: a transactional
 * store (only transactions publish) and both pub/sub components loaded. Dapr
 * logs a warning for a missing pub/sub and fails each transaction later; here
 * start-up stops with the file and line of the field.
 */
export function checkedOutboxConfig(loaded: LoadedComponent, runtime: ComponentRuntime): OutboxConfig | undefined {
  const config = outboxConfigOf(loaded.metadata);
  if (!config) return undefined;
  const driver = loaded.driver as StateStoreDriver;
  if (!driver.features().includes('TRANSACTIONAL') || !driver.multi) {
    throw metadataError(loaded.metadata, 'outboxPublishPubsub', `needs a transactional state store; ${loaded.type} is not`);
  }
  const known = runtime.names('pubsub');
  for (const [field, name] of [
    ['outboxPublishPubsub', config.publishPubsub],
    ['outboxPubsub', config.outboxPubsub],
  ] as const) {
    if (!runtime.find('pubsub', name)) {
      throw metadataError(
        loaded.metadata,
        field === 'outboxPubsub' && config.outboxPubsub === config.publishPubsub ? 'outboxPublishPubsub' : field,
        `names pub/sub "${name}", which is not configured (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
  }
  return config;
}

/** Every state component of the app with an outbox, checked. */
export function outboxStores(runtime: ComponentRuntime): { loaded: LoadedComponent<StateStoreDriver>; config: OutboxConfig }[] {
  const out: { loaded: LoadedComponent<StateStoreDriver>; config: OutboxConfig }[] = [];
  for (const loaded of runtime.list('state')) {
    const config = checkedOutboxConfig(loaded, runtime);
    if (config) out.push({ loaded: loaded as LoadedComponent<StateStoreDriver>, config });
  }
  return out;
}
