import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { KubernetesNameResolver } from './kubernetes.name-resolver';
import { KUBERNETES_NAME_RESOLVER_METADATA } from './kubernetes.metadata';

/** The `kubernetes` drivers; `components/builtin-drivers.ts` registers them. */
export const kubernetesDrivers: readonly DriverRegistration[] = [
  { type: 'nameresolution.kubernetes', create: () => new KubernetesNameResolver(), metadata: KUBERNETES_NAME_RESOLVER_METADATA },
];
