import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { EnvSecretStore } from './env.secret-store';
import { FileSecretStore } from './file.secret-store';

/** The `local` drivers; `components/builtin-drivers.ts` registers them. */
export const localDrivers: readonly DriverRegistration[] = [
  { type: 'secretstores.local.env', create: () => new EnvSecretStore() },
  { type: 'secretstores.local.file', create: () => new FileSecretStore() },
];
