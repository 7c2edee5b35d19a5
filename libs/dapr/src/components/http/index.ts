import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { HttpBinding } from './http.binding';
import { HTTP_BINDING_METADATA } from './http.metadata';

/** The `http` drivers; `components/builtin-drivers.ts` registers them. */
export const httpDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.http', create: () => new HttpBinding(), metadata: HTTP_BINDING_METADATA },
];
