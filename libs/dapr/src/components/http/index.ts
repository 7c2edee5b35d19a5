import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { HttpBinding } from './http.binding';

/** The `http` drivers; `components/builtin-drivers.ts` registers them. */
export const httpDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.http', create: () => new HttpBinding() },
];
