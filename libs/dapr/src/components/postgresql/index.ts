import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { PostgresBinding } from './postgresql.binding';
import { PostgresStateStore } from './postgresql.state-store';
import { PostgresConfigurationStore } from './postgresql.configuration-store';
import { POSTGRESQL_BINDING_METADATA, POSTGRESQL_CONFIGURATION_METADATA, POSTGRESQL_STATE_METADATA } from './postgresql.metadata';

/** The `postgresql` drivers; `components/builtin-drivers.ts` registers them. */
export const postgresqlDrivers: readonly DriverRegistration[] = [
  { type: 'state.postgresql', versions: ['v1'], create: () => new PostgresStateStore(), metadata: POSTGRESQL_STATE_METADATA },
  { type: 'bindings.postgresql', create: () => new PostgresBinding(), metadata: POSTGRESQL_BINDING_METADATA },
  { type: 'configuration.postgresql', create: () => new PostgresConfigurationStore(), metadata: POSTGRESQL_CONFIGURATION_METADATA },
];
