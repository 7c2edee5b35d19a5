/**
 * Lets a plain `node` child process run the TypeScript sources (tests spawn
 * apps as real processes): `node -r ./test/support/swc-register.js app.ts`.
 * Compiles `.ts` on require with @swc/core (decorator metadata on, as in
 * jest.config.js) and maps `nest-dapr` to the library sources.
 */
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const { sourceEntries } = require('../../libs/dapr/scripts/source-entries.cjs');

// `nest-dapr`, `nest-dapr/testing`, `nest-dapr/spi`, … → the library's sources.
const aliases = sourceEntries();

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
