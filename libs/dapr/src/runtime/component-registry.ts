import type { Component } from '../spi/component.spi';
import type { DriverRegistration } from '../spi/driver-registration.spi';

export type { DriverRegistration };

/**
 * Maps `spec.type` + `spec.version` to driver factories for one app. The
 * runtime knows no driver: the module (the composition root) builds each app's
 * registry from the built-in drivers and the app's own `drivers` option.
 */
export class ComponentRegistry {
  private readonly factories = new Map<string, () => Component>();

  constructor(registrations: Iterable<DriverRegistration> = []) {
    for (const reg of registrations) this.register(reg);
  }

  register(reg: DriverRegistration): void {
    for (const version of reg.versions ?? ['v1']) {
      this.factories.set(registryKey(reg.type, version), reg.create);
    }
  }

  /** Returns the factory, or `undefined` when nothing serves that type and version. */
  find(type: string, version: string): (() => Component) | undefined {
    return this.factories.get(registryKey(type, version));
  }

  /** A new registry with these factories plus `more` (which win for the same type and version). */
  with(more: Iterable<DriverRegistration>): ComponentRegistry {
    const copy = new ComponentRegistry();
    for (const [key, create] of this.factories) copy.factories.set(key, create);
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
