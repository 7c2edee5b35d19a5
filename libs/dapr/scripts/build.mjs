#!/usr/bin/env node
/**
 * Builds the publishable package: src → dist (CommonJS + .d.ts + source maps).
 *
 *   npm run build -w nest-dapr
 *
 * 1. Starts from an empty dist/, so a renamed or deleted source never ships.
 * 2. Compiles with tsconfig.build.json (specs excluded).
 * 3. Copies non-TypeScript assets that sit beside the sources (e.g. .proto files).
 * 4. Keeps only the declarations a consumer can reach from the package's
 *    `exports`, and fails if any of them refers to a package the consumer may
 *    not have: a driver client (kafkajs, ioredis, pg, better-sqlite3, @azure/…)
 *    is an optional peer and must never appear in a published type, and nothing
 *    undeclared may appear at all. An app without those packages therefore
 *    compiles with its scaffold's default tsconfig.
 * 5. Checks that `typesVersions` (for node10-style resolution) names the same
 *    declarations as `exports`, and that the `bin` target exists and starts
 *    with a shebang.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createRequire, builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(pkgDir, 'src');
const distDir = join(pkgDir, 'dist');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const require = createRequire(import.meta.url);
const ts = require('typescript');

const fail = (msg) => {
  console.error(`nest-dapr build: ${msg}`);
  process.exit(1);
};

// 1 + 2
rmSync(distDir, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pkgDir, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) fail('tsc failed');

// 3
for (const file of walk(srcDir)) {
  if (file.endsWith('.ts') || /\.(spec|test)\./.test(file)) continue;
  cpSync(file, join(distDir, relative(srcDir, file)));
}

// 4
const entries = entryDeclarations(pkg.exports);
const reachable = new Map(); // file → entry it was first reached from
const problems = [];
const allowed = allowedPackages();
for (const [entry, file] of entries) visit(file, entry);
for (const file of walk(distDir)) {
  if (file.endsWith('.d.ts') && !reachable.has(file)) unlinkSync(file);
}
if (problems.length) fail(`published declarations refer to packages a consumer may not have:\n  ${problems.join('\n  ')}`);

// 5
for (const [subpath, target] of Object.entries(pkg.exports)) {
  // typesVersions serves apps whose tsconfig still resolves like node10 (no `exports`): it must name the same files.
  if (subpath === '.' || typeof target !== 'object' || !target.types) continue;
  const mapped = pkg.typesVersions?.['*']?.[subpath.slice(2)];
  if (!mapped || mapped[0] !== target.types) fail(`typesVersions["*"]["${subpath.slice(2)}"] must be ["${target.types}"] like exports["${subpath}"].types`);
}
for (const [name, target] of Object.entries(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) {
  const file = join(pkgDir, target);
  if (!existsSync(file)) fail(`bin "${name}" points at ${target}, which the build did not produce`);
  if (!readFileSync(file, 'utf8').startsWith('#!')) fail(`bin "${name}" (${target}) has no #! line`);
  // npm marks bin targets executable when it installs a package; in this repository the link
  // (node_modules/.bin/nest-dapr) exists before the first build, so `npx nest-dapr` needs the bit set here.
  chmodSync(file, 0o755);
}
console.log(`nest-dapr build: dist/ ready (${entries.length} entry points, ${reachable.size} public declaration files)`);

function visit(file, entry) {
  if (reachable.has(file)) return;
  if (!existsSync(file)) return problems.push(`${entry}: missing ${relative(pkgDir, file)}`);
  reachable.set(file, entry);
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const specifiers = [...info.importedFiles, ...info.typeReferenceDirectives].map((f) => f.fileName);
  for (const spec of specifiers) {
    if (spec.startsWith('.')) {
      visit(resolveDeclaration(dirname(file), spec), entry);
      continue;
    }
    const name = packageName(spec);
    if (!allowed.has(name)) {
      problems.push(`${relative(pkgDir, file)} (reached from "${entry}") imports "${spec}" — ${reason(name)}`);
    }
  }
}

function reason(name) {
  if (pkg.peerDependenciesMeta?.[name]?.optional) return 'an optional peer: keep it out of the public types (use a local structural type)';
  return 'not a dependency or peer of nest-dapr';
}

function resolveDeclaration(fromDir, spec) {
  const base = resolve(fromDir, spec.replace(/\.js$/, ''));
  for (const candidate of [`${base}.d.ts`, join(base, 'index.d.ts')]) if (existsSync(candidate)) return candidate;
  return `${base}.d.ts`;
}

/** The `types` file of every entry in `exports` (adding an entry there is all it takes). */
function entryDeclarations(exportsField) {
  const out = [];
  for (const [subpath, target] of Object.entries(exportsField ?? {})) {
    if (typeof target !== 'object' || !target.types) continue;
    out.push([subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(pkgDir, target.types)]);
  }
  if (!out.length) fail('package.json has no exports with types');
  return out;
}

/**
 * Packages a public declaration may import: node built-ins, `dependencies`,
 * required peers, and optional peers that are Nest packages (a user of
 * `nest-dapr/testing` has @nestjs/testing by definition). Optional driver
 * clients are never allowed.
 */
function allowedPackages() {
  const set = new Set(['node', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  for (const name of Object.keys(pkg.dependencies ?? {})) set.add(name);
  for (const name of Object.keys(pkg.peerDependencies ?? {})) {
    if (!pkg.peerDependenciesMeta?.[name]?.optional || name.startsWith('@nestjs/')) set.add(name);
  }
  return set;
}

function packageName(spec) {
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}

