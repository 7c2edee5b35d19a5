import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { CronBinding } from './cron.binding';
import { CRON_BINDING_METADATA } from './cron.metadata';

/** The `cron` drivers; `components/builtin-drivers.ts` registers them. */
export const cronDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.cron', create: () => new CronBinding(), metadata: CRON_BINDING_METADATA },
];
