#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaprError } from '../errors/dapr.error';
import { CliUsageError } from '../errors/sidecar.errors';
import { parseRunArgs, RUN_USAGE } from './run-args';
import { runCommand } from './run.command';

const USAGE = `Usage: nest-dapr <command>

Commands:
  run          run a Dapr-compatible sidecar (and optionally your app), like dapr run
  help         show this text
  version      print the nest-dapr version

nest-dapr run --help shows its flags.
`;

function version(): string {
  // dist/cli/main.js → package.json two levels up (same layout in src/ for the repo's own runs).
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The package's `nest-dapr` binary (the package `bin` points at its compiled
 * form, dist/cli/main.js): only parses the command line and hands over to the
 * command. Usage errors exit 2.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
    case 'run':
      break;
    default:
      process.stderr.write(command === undefined ? USAGE : `nest-dapr: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
  try {
    const req = parseRunArgs(rest);
    if (req.help) {
      process.stdout.write(RUN_USAGE);
      return 0;
    }
    return await runCommand(req, {
      log: (line) => process.stdout.write(`${line}\n`),
      error: (line) => process.stderr.write(`${line}\n`),
      onSignal: (handler) => {
        process.once('SIGTERM', () => handler('SIGTERM'));
        process.once('SIGINT', () => handler('SIGINT'));
      },
    });
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`nest-dapr run: ${err.message}\n\n${RUN_USAGE}`);
      return 2;
    }
    const message = err instanceof DaprError ? `${err.errorCode}: ${err.message}` : ((err as Error)?.stack ?? String(err));
    process.stderr.write(`nest-dapr run: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A stopped sidecar leaves nothing running, but a misbehaving driver must not keep the process alive.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}
