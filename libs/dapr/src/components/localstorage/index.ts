import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { LocalStorageBinding } from './localstorage.binding';
import { LOCALSTORAGE_BINDING_METADATA } from './localstorage.metadata';

/** The `localstorage` drivers; `components/builtin-drivers.ts` registers them. */
export const localstorageDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.localstorage', create: () => new LocalStorageBinding(), metadata: LOCALSTORAGE_BINDING_METADATA },
];
