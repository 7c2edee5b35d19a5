import type { Component } from '../components/spi/component.spi';

/** How the runtime creates a driver for one `spec.type`. */
export interface DriverRegistration {
  /** Full Dapr type, e.g. `state.redis`. */
  type: string;
  /** Versions served, default `['v1']`. */
  versions?: string[];
  /** Creates an uninitialised driver. Heavy npm clients are loaded later, in `init`. */
  create: () => Component;
}

/**
 * Maps `spec.type` + `spec.version` to driver factories. Drivers register
 * themselves when their folder is imported; applications can register their
 * own drivers the same way before the module starts.
 */
export class ComponentRegistry {
  private readonly factories = new Map<string, () => Component>();

  register(reg: DriverRegistration): void {
    for (const version of reg.versions ?? ['v1']) {
      this.factories.set(registryKey(reg.type, version), reg.create);
    }
  }

  /** Returns the factory, or `undefined` when nothing serves that type and version. */
  find(type: string, version: string): (() => Component) | undefined {
    return this.factories.get(registryKey(type, version));
  }

  /** `type/version` strings, sorted, for error messages and docs. */
  knownTypes(): string[] {
    return [...this.factories.keys()].sort();
  }
}

function registryKey(type: string, version: string): string {
  return `${type.toLowerCase()}/${version.toLowerCase()}`;
}

/** The process-wide registry drivers add themselves to. */
export const componentRegistry = new ComponentRegistry();

export function registerComponent(reg: DriverRegistration): void {
  componentRegistry.register(reg);
}
