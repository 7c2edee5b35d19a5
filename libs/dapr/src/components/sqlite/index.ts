import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { SqlitePubSub } from './sqlite.pubsub';
import { SqliteStateStore } from './sqlite.state-store';
import { SqliteNameResolver } from './sqlite.name-resolver';
import { SqliteLockStore } from './sqlite.lock-store';
import { SQLITE_NAME_RESOLVER_METADATA, SQLITE_PUBSUB_METADATA, SQLITE_STATE_METADATA, SQLITE_LOCK_METADATA } from './sqlite.metadata';

/** The `sqlite` drivers; `components/builtin-drivers.ts` registers them. */
export const sqliteDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.sqlite', create: () => new SqlitePubSub(), metadata: SQLITE_PUBSUB_METADATA },
  { type: 'state.sqlite', create: () => new SqliteStateStore(), metadata: SQLITE_STATE_METADATA },
  { type: 'lock.sqlite', create: () => new SqliteLockStore(), metadata: SQLITE_LOCK_METADATA },
  { type: 'nameresolution.sqlite', create: () => new SqliteNameResolver(), metadata: SQLITE_NAME_RESOLVER_METADATA },
];
