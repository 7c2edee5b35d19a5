import { MissingPackageError } from '../../errors/component-init.error';

const cache = new Map<string, Promise<unknown>>();

/**
 * Loads an optional peer dependency on first use with `import()`, so that an app
 * that never configures Kafka never needs kafkajs. A missing package fails with
 * the exact `npm install` command; other load errors pass through unchanged.
 * CommonJS packages come back as their `module.exports`.
 */
export function loadPackage<T = unknown>(componentType: string, packageName: string): Promise<T> {
  let pending = cache.get(packageName);
  if (!pending) {
    pending = import(packageName).then(
      (mod: { default?: unknown }) => (isCjsNamespace(mod) ? mod.default : mod),
      (err: NodeJS.ErrnoException) => {
        cache.delete(packageName);
        if (isNotFound(err, packageName)) throw new MissingPackageError(componentType, packageName);
        throw err;
      },
    );
    cache.set(packageName, pending);
  }
  return pending as Promise<T>;
}

function isCjsNamespace(mod: { default?: unknown; __esModule?: boolean }): boolean {
  // Node (and Jest's interop) wrap a CommonJS module in a namespace whose
  // `default` is module.exports; hand drivers the exports themselves.
  return mod.default !== undefined && !mod.__esModule;
}

function isNotFound(err: NodeJS.ErrnoException, packageName: string): boolean {
  return (
    (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') &&
    typeof err.message === 'string' &&
    err.message.includes(packageName)
  );
}
