import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { EnvSecretStore } from './env.secret-store';
import { FileSecretStore } from './file.secret-store';
import { ENV_SECRET_STORE_METADATA, FILE_SECRET_STORE_METADATA } from './local.metadata';

/** The `local` drivers; `components/builtin-drivers.ts` registers them. */
export const localDrivers: readonly DriverRegistration[] = [
  { type: 'secretstores.local.env', create: () => new EnvSecretStore(), metadata: ENV_SECRET_STORE_METADATA },
  { type: 'secretstores.local.file', create: () => new FileSecretStore(), metadata: FILE_SECRET_STORE_METADATA },
];
