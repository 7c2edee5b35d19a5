import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { CronBinding } from './cron.binding';

/** The `cron` drivers; `components/builtin-drivers.ts` registers them. */
export const cronDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.cron', create: () => new CronBinding() },
];
