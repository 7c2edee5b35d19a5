/**
 * Store names that `@StateStore(name)` decorators in the loaded code name, in
 * declaration order. Like any decorator metadata this describes code, not an
 * app: each DaprModule instance provides its own handles for these names,
 * bound to its own StateService (see `stateStoreHandleProviders`). Store names
 * are only known at run time, so there is no way to list them per module
 * without a `forFeature` call, which the app is never asked for.
 */
const declared = new Set<string>();

export function declareStateStoreName(name: string): void {
  declared.add(name);
}

export function declaredStateStoreNames(): readonly string[] {
  return [...declared];
}
