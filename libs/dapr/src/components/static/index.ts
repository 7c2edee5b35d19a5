import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { StaticNameResolver } from './static.name-resolver';

/** The `static` drivers; `components/builtin-drivers.ts` registers them. */
export const staticDrivers: readonly DriverRegistration[] = [
  { type: 'nameresolution.static', create: () => new StaticNameResolver() },
];
