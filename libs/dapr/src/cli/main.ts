#!/usr/bin/env node
/**
 * The package's `nest-dapr` binary. This is the entry the package `bin` points at
 * (dist/cli/main.js); the sidecar work replaces the body with `nest-dapr run`.
 * Until then it knows `--help` and `--version` and refuses anything else with
 * exit code 2, the usual code for a usage error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = `Usage: nest-dapr <command> [options]

Commands:
  help         show this text
  version      print the nest-dapr version
`;

function version(): string {
  // dist/cli/main.js → package.json two levels up (same layout in src/ for the repo's own runs).
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function main(argv: string[]): number {
  const [command] = argv;
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return 0;
    default:
      process.stderr.write(command === undefined ? USAGE : `nest-dapr: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
