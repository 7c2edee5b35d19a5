/**
 * The package's entry points mapped to their TypeScript sources, derived from
 * `exports` in libs/dapr/package.json (dist/X.js ↔ src/X.ts). Inside this
 * repository, Jest and the swc loader resolve `nest-dapr`, `nest-dapr/testing`, …
 * to these files, so tests run against the sources without a build while
 * importing exactly the public entry points a user can import. A new entry in
 * `exports` needs no change here (tsconfig.json `paths` lists them too; a spec
 * checks that the two agree).
 */
const { join } = require('node:path');

const pkgDir = join(__dirname, '..');
const pkg = require(join(pkgDir, 'package.json'));

function sourceEntries() {
  const out = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'object' ? target.default : undefined;
    if (!file || !/^\.\/dist\/.*\.js$/.test(file)) continue;
    const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    out[name] = join(pkgDir, file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  }
  return out;
}

module.exports = { sourceEntries };
