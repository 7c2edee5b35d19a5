import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { InMemoryPubSub } from './in-memory.pubsub';
import { InMemoryStateStore } from './in-memory.state-store';

/** The `in-memory` drivers; `components/builtin-drivers.ts` registers them. */
export const inMemoryDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.in-memory', create: () => new InMemoryPubSub() },
  { type: 'state.in-memory', create: () => new InMemoryStateStore() },
];
