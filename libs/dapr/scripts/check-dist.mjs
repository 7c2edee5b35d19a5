#!/usr/bin/env node
/**
 * `prepack`/`prepublishOnly` guard: refuses to pack a package whose dist/ is
 * missing or older than its sources, so a tarball never ships stale or no
 * JavaScript. Build first: `npm run build` (repository) or
 * `npm run build -w nest-dapr` (package only).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(pkgDir, 'src');
const distDir = join(pkgDir, 'dist');

const stale = [];
if (!existsSync(join(distDir, 'index.js'))) stale.push('dist/index.js is missing');
else {
  for (const file of walk(srcDir)) {
    if (!file.endsWith('.ts') || /\.(spec|test)\.ts$/.test(file)) continue;
    const out = join(distDir, relative(srcDir, file)).replace(/\.ts$/, '.js');
    if (!existsSync(out)) stale.push(`${relative(pkgDir, out)} is missing`);
    else if (statSync(out).mtimeMs < statSync(file).mtimeMs) stale.push(`${relative(pkgDir, file)} changed after the build`);
  }
}
if (stale.length) {
  console.error(`nest-dapr: dist/ is not up to date (${stale.slice(0, 5).join('; ')}${stale.length > 5 ? '; …' : ''}).\nRun \`npm run build\` first.`);
  process.exit(1);
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}
