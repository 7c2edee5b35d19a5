import type { Component } from '../spi/component.spi';
import type { DriverRegistration } from '../spi/driver-registration.spi';
import type { MetadataSchema } from '../spi/kit/metadata/metadata-schema';

export type { DriverRegistration };

/**
 * Maps `spec.type` + `spec.version` to driver factories for one app. The
 * runtime knows no driver: the module (the composition root) builds each app's
 * registry from the built-in drivers and the app's own `drivers` option.
 */
export class ComponentRegistry {
  private readonly factories = new Map<string, () => Component>();
  private readonly schemas = new Map<string, MetadataSchema>();

  constructor(registrations: Iterable<DriverRegistration> = []) {
    for (const reg of registrations) this.register(reg);
  }

  register(reg: DriverRegistration): void {
    for (const version of reg.versions ?? ['v1']) {
      const key = registryKey(reg.type, version);
      this.factories.set(key, reg.create);
      if (reg.metadata) this.schemas.set(key, reg.metadata);
      else this.schemas.delete(key);
    }
  }

  /** The declared metadata of the driver for that type and version, when it declares one. */
  schema(type: string, version: string): MetadataSchema | undefined {
    return this.schemas.get(registryKey(type, version));
  }

  /** Returns the factory, or `undefined` when nothing serves that type and version. */
  find(type: string, version: string): (() => Component) | undefined {
    return this.factories.get(registryKey(type, version));
  }

  /** A new registry with these factories plus `more` (which win for the same type and version). */
  with(more: Iterable<DriverRegistration>): ComponentRegistry {
    const copy = new ComponentRegistry();
    for (const [key, create] of this.factories) copy.factories.set(key, create);
    for (const [key, schema] of this.schemas) copy.schemas.set(key, schema);
    for (const reg of more) copy.register(reg);
    return copy;
  }

  /** `type/version` strings, sorted, for error messages and docs. */
  knownTypes(): string[] {
    return [...this.factories.keys()].sort();
  }
}

function registryKey(type: string, version: string): string {
  return `${type.toLowerCase()}/${version.toLowerCase()}`;
}
