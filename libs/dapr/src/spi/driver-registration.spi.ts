import type { Component } from './component.spi';
import type { MetadataSchema } from './kit/metadata/metadata-schema';

/**
 * How a driver offers itself for one Dapr component `spec.type`. Built-in
 * drivers are listed in `components/builtin-drivers.ts`; an application adds
 * its own with `DaprModule.forRoot({ drivers: [...] })`, per app.
 */
export interface DriverRegistration {
  /** Full Dapr type, e.g. `state.redis`. */
  type: string;
  /** Versions served, default `['v1']`. */
  versions?: string[];
  /** Creates an uninitialised driver. Heavy npm clients are loaded later, in `init`. */
  create: () => Component;
  /**
   * The driver's declared metadata. The runtime decodes the component's metadata
   * with it before `init` (errors name the file and line) and warns about keys
   * it does not know; the component reference and docs/compatibility.md are
   * generated from it.
   */
  metadata?: MetadataSchema;
}
