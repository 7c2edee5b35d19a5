import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { TracingHandle } from 'nest-dapr';

/**
 * Starts a sample app on PORT: clear one-line errors for the two ways a
 * start usually fails (port taken, unknown DAPR_PROFILE), exit code 1.
 */
export async function bootstrapApp(name: string, module: Type<unknown>, defaultPort: number, tracing?: TracingHandle): Promise<INestApplication> {
  const port = Number(process.env.PORT ?? defaultPort);
  let app: INestApplication | undefined;
  try {
    // abortOnError: false so that start-up errors reach the catch below instead of exiting inside Nest.
    app = await NestFactory.create(module, { logger: logLevels(), abortOnError: false });
    app.enableShutdownHooks();
    await app.listen(port, '127.0.0.1');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === 'EADDRINUSE'
        ? `port ${port} is already in use; stop whatever listens there or start ${name} with PORT=<free port>`
        : e.message;
    console.error(`${name}: cannot start: ${message}`);
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
  if (tracing) {
    // After Nest's own shutdown hooks: export the spans still buffered, then exit.
    const stop = (signal: NodeJS.Signals) =>
      void app!
        .close()
        .then(() => tracing.shutdown())
        .catch(() => undefined)
        .finally(() => process.kill(process.pid, signal));
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  console.log(`${name} listening on http://127.0.0.1:${port} (profile ${process.env.DAPR_PROFILE ?? 'local'})`);
  return app;
}

function logLevels(): ('log' | 'error' | 'warn' | 'debug')[] {
  return process.env.LOG_LEVEL === 'quiet' ? ['error', 'warn'] : ['log', 'error', 'warn'];
}
