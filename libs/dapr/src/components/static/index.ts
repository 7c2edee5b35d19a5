import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { StaticNameResolver } from './static.name-resolver';
import { STATIC_NAME_RESOLVER_METADATA } from './static.metadata';

/** The `static` drivers; `components/builtin-drivers.ts` registers them. */
export const staticDrivers: readonly DriverRegistration[] = [
  { type: 'nameresolution.static', create: () => new StaticNameResolver(), metadata: STATIC_NAME_RESOLVER_METADATA },
];
