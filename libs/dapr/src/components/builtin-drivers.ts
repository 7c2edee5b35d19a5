import type { DriverRegistration } from '../spi/driver-registration.spi';
import { localDrivers } from './local';
import { kafkaDrivers } from './kafka';
import { inMemoryDrivers } from './in-memory';
import { sqliteDrivers } from './sqlite';
import { postgresqlDrivers } from './postgresql';
import { azureServicebusDrivers } from './azure-servicebus';
import { cronDrivers } from './cron';
import { httpDrivers } from './http';
import { localstorageDrivers } from './localstorage';
import { redisDrivers } from './redis';
import { staticDrivers } from './static';
import { kubernetesDrivers } from './kubernetes';
import { jetstreamDrivers } from './jetstream';
import { rabbitmqDrivers } from './rabbitmq';
import { mqttDrivers } from './mqtt';

/**
 * The one place that lists the drivers shipped with nest-dapr. Each vendor
 * folder only declares its registrations; the module (the composition root)
 * hands this list to its component registry. None of them loads its npm client
 * until a component of that type is initialised.
 */
export const BUILTIN_DRIVERS: readonly DriverRegistration[] = [
  ...localDrivers,
  ...kafkaDrivers,
  ...inMemoryDrivers,
  ...sqliteDrivers,
  ...postgresqlDrivers,
  ...azureServicebusDrivers,
  ...cronDrivers,
  ...httpDrivers,
  ...localstorageDrivers,
  ...redisDrivers,
  ...staticDrivers,
  ...kubernetesDrivers,
  ...jetstreamDrivers,
  ...rabbitmqDrivers,
  ...mqttDrivers,
];
