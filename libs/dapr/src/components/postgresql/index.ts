import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { PostgresBinding } from './postgresql.binding';
import { PostgresStateStore } from './postgresql.state-store';

/** The `postgresql` drivers; `components/builtin-drivers.ts` registers them. */
export const postgresqlDrivers: readonly DriverRegistration[] = [
  { type: 'state.postgresql', versions: ['v1'], create: () => new PostgresStateStore() },
  { type: 'bindings.postgresql', create: () => new PostgresBinding() },
];
