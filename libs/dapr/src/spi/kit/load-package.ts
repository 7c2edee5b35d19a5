import { MissingPackageError } from '../../errors/component-init.error';

const cache = new Map<string, Promise<unknown>>();

/**
 * Loads an optional peer dependency on first use, so that an app that never
 * configures Kafka never needs kafkajs. A missing package fails with the exact
 * `npm install` command; other load errors pass through unchanged. CommonJS
 * packages come back as their `module.exports`.
 *
 * `require`, not `import()`: the package is CommonJS, and a dynamic `import()`
 * inside it fails under Jest's module system unless Jest runs with
 * --experimental-vm-modules (a user's Jest tests that start a Redis or Kafka
 * component would break). `require` also loads ESM-only packages on
 * Node >= 20.19 (`require(esm)`); only an ESM package with top-level await
 * needs `import()`, which is the fallback.
 */
export function loadPackage<T = unknown>(componentType: string, packageName: string): Promise<T> {
  let pending = cache.get(packageName);
  if (!pending) {
    pending = load(packageName).catch((err: NodeJS.ErrnoException) => {
      cache.delete(packageName);
      if (isNotFound(err, packageName)) throw new MissingPackageError(componentType, packageName);
      throw err;
    });
    cache.set(packageName, pending);
  }
  return pending as Promise<T>;
}

async function load(packageName: string): Promise<unknown> {
  try {
    return exportsOf(require(packageName));
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    return exportsOf(await import(packageName));
  }
}

function exportsOf(mod: unknown): unknown {
  // An ES module namespace whose only meaningful export is `default` (e.g. a CommonJS
  // module wrapped by import()): hand drivers that value, as for module.exports.
  const ns = mod as { default?: unknown; __esModule?: boolean; [Symbol.toStringTag]?: string };
  if (ns?.[Symbol.toStringTag] === 'Module' && ns.default !== undefined && !ns.__esModule) return ns.default;
  return mod;
}

function isNotFound(err: NodeJS.ErrnoException, packageName: string): boolean {
  return (
    (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') &&
    typeof err.message === 'string' &&
    err.message.includes(packageName)
  );
}
