#!/usr/bin/env node
import 'reflect-metadata';
import { DaprError } from '../errors/dapr.error';
import { CliUsageError } from '../errors/sidecar.errors';
import { parseRunArgs, RUN_USAGE } from './run-args';
import { runCommand } from './run.command';

const USAGE = `Usage: nest-dapr <command>

Commands:
  run     run a Dapr-compatible sidecar (and optionally your app), like dapr run

nest-dapr run --help shows its flags.
`;

/** The `nest-dapr` binary: only parses the command line and hands over to the command. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  if (command !== 'run') {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 1;
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
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
