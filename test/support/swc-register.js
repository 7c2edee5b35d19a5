/**
 * Lets a plain `node` child process run the TypeScript sources (tests spawn
 * apps as real processes): `node -r ./test/support/swc-register.js app.ts`.
 * Compiles `.ts` on require with @swc/core (decorator metadata on, as in
 * jest.config.js) and maps `nest-dapr` to the library sources.
 */
const Module = require('node:module');

const { sourceEntries } = require('../../libs/dapr/scripts/source-entries.cjs');

// `nest-dapr`, `nest-dapr/testing`, `nest-dapr/spi`, … → the library's sources.
const aliases = sourceEntries();

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};

// Compiled output is cached by content (node_modules/.cache), so tests that start many child
// processes (the outbox crash loop starts hundreds) pay for the compilation once.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const cacheDir = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'swc-register');
// @swc/core (a large native module) is loaded only when something is not in the cache yet.
const swcVersion = require('@swc/core/package.json').version;

Module._extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(swcVersion).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    code = require('@swc/core').transformSync(source, {
      filename,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    }).code;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written under a temporary name and renamed, so a concurrent reader never sees half a file.
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      /* a read-only tree: compile every time */
    }
  }
  module._compile(code, filename);
};
