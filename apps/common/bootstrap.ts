import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * Starts a sample app on PORT: clear one-line errors for the two ways a
 * start usually fails (port taken, unknown DAPR_PROFILE), exit code 1.
 */
export async function bootstrapApp(name: string, module: Type<unknown>, defaultPort: number): Promise<INestApplication> {
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
  console.log(`${name} listening on http://127.0.0.1:${port} (profile ${process.env.DAPR_PROFILE ?? 'local'})`);
  return app;
}

function logLevels(): ('log' | 'error' | 'warn' | 'debug')[] {
  return process.env.LOG_LEVEL === 'quiet' ? ['error', 'warn'] : ['log', 'error', 'warn'];
}
