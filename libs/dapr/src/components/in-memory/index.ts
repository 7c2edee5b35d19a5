import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { InMemoryPubSub } from './in-memory.pubsub';
import { InMemoryStateStore } from './in-memory.state-store';
import { InMemoryLockStore } from './in-memory.lock-store';
import { InMemoryConfigurationStore } from './in-memory.configuration-store';
import { IN_MEMORY_CONFIGURATION_METADATA, IN_MEMORY_LOCK_METADATA, IN_MEMORY_PUBSUB_METADATA, IN_MEMORY_STATE_METADATA } from './in-memory.metadata';

/** The `in-memory` drivers; `components/builtin-drivers.ts` registers them. */
export const inMemoryDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.in-memory', create: () => new InMemoryPubSub(), metadata: IN_MEMORY_PUBSUB_METADATA },
  { type: 'state.in-memory', create: () => new InMemoryStateStore(), metadata: IN_MEMORY_STATE_METADATA },
  { type: 'lock.in-memory', create: () => new InMemoryLockStore(), metadata: IN_MEMORY_LOCK_METADATA },
  { type: 'configuration.in-memory', create: () => new InMemoryConfigurationStore(), metadata: IN_MEMORY_CONFIGURATION_METADATA },
];
