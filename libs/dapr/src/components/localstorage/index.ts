import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { LocalStorageBinding } from './localstorage.binding';

/** The `localstorage` drivers; `components/builtin-drivers.ts` registers them. */
export const localstorageDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.localstorage', create: () => new LocalStorageBinding() },
];
