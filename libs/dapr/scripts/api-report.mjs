#!/usr/bin/env node
/**
 * The public API report: one `api/<entry>.api.md` per entry point in `exports`
 * (nest-dapr, nest-dapr/testing, nest-dapr/spi, …), written by API Extractor
 * from the built declarations.
 *
 *   npm run api:update    rebuild the package and rewrite the reports (commit them)
 *   npm run api:check     rebuild and fail if the public surface differs from the reports
 *
 * Whoever changes what an entry point exports regenerates the reports in the
 * same commit; CI runs the check. Entry points come from package.json, so a new
 * entry needs no change here.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig, ExtractorLogLevel } = require('@microsoft/api-extractor');

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const update = process.argv.includes('--update');
const temp = mkdtempSync(join(tmpdir(), 'nest-dapr-api-'));
if (update) mkdirSync(join(pkgDir, 'api'), { recursive: true });

const changed = [];
const failed = [];
try {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || !target.types) continue;
    const reportName = subpath === '.' ? pkg.name : `${pkg.name}-${subpath.slice(2).replace(/\//g, '-')}`;
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: pkgDir,
        mainEntryPointFilePath: join(pkgDir, target.types),
        compiler: {
          // Declarations only: the options that decide how they are read, nothing else.
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              module: 'node20',
              moduleResolution: 'node16',
              lib: ['ES2023'],
              types: ['node'],
              strict: true,
              experimentalDecorators: true,
              skipLibCheck: true,
            },
            files: [join(pkgDir, target.types)],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: reportName,
          reportFolder: join(pkgDir, 'api'),
          reportTempFolder: temp,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            // No release tags (@public/@beta) in this package: everything an entry exports is public.
            'ae-missing-release-tag': { logLevel: 'none' },
            // A type used by the API but not exported is recorded in the report, where a reviewer sees it.
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
            'ae-unresolved-link': { logLevel: 'none' },
            'ae-undocumented': { logLevel: 'none' },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(pkgDir, 'api-extractor.json'),
      packageJsonFullPath: join(pkgDir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
      // In a check, show what changed.
      printApiReportDiff: !update,
      messageCallback: (message) => {
        // "Analysis will use the bundled TypeScript version …": the same 6.0 as the build, nothing to say.
        if (message.messageId === 'console-preamble') message.logLevel = ExtractorLogLevel.None;
      },
    });
    if (result.apiReportChanged) changed.push(`api/${reportName}.api.md`);
    if (!result.succeeded) failed.push(reportName);
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}

if (!update && changed.length) {
  console.error(
    `The public API differs from the committed report (${changed.join(', ')}; diff above).\n` +
      'If the change is intended, run `npm run api:update` and commit libs/dapr/api/ with it.',
  );
  process.exit(1);
}
if (failed.length) {
  console.error(`API Extractor reported errors for ${failed.join(', ')} (see above).`);
  process.exit(1);
}
console.log(update ? (changed.length ? `api report updated: ${changed.join(', ')}` : 'api report unchanged') : 'api report matches the public surface');
