import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { SqlitePubSub } from './sqlite.pubsub';
import { SqliteStateStore } from './sqlite.state-store';
import { SqliteNameResolver } from './sqlite.name-resolver';

/** The `sqlite` drivers; `components/builtin-drivers.ts` registers them. */
export const sqliteDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.sqlite', create: () => new SqlitePubSub() },
  { type: 'state.sqlite', create: () => new SqliteStateStore() },
  { type: 'nameresolution.sqlite', create: () => new SqliteNameResolver() },
];
