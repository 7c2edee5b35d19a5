import type { Provider } from '@nestjs/common';

/**
 * Store names used by `@StateStore(name)`. Store names are only known at run
 * time, so the decorator records each name when a class is declared and every
 * provider list bound here (DaprModule's) gains a handle provider for it.
 * Nest reads module providers when the app is compiled, after all classes are
 * declared, so providers appended later are still seen.
 */
const names = new Set<string>();
const sinks: ((name: string) => void)[] = [];

export function recordStateStoreName(name: string): void {
  if (names.has(name)) return;
  names.add(name);
  for (const sink of sinks) sink(name);
}

export function recordedStateStoreNames(): string[] {
  return [...names];
}

/**
 * Keeps `providers` / `exports` (the arrays given to `@Module`) in step with
 * the recorded names: one provider per name, from `makeProvider`.
 */
export function bindStateStoreProviders(
  providers: Provider[],
  exports: unknown[],
  makeProvider: (name: string) => Provider & { provide: string },
): void {
  const add = (name: string) => {
    const provider = makeProvider(name);
    providers.push(provider);
    exports.push(provider.provide);
  };
  names.forEach(add);
  sinks.push(add);
}
