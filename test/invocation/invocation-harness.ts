import type { INestApplication, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, type DaprModuleOptions } from 'nest-dapr';
import { NameResolutionService } from '../../libs/dapr/src/invocation/name-resolution.service';

export const API_TOKEN = 'invocation-spec-token';

/** A fresh SQLite name-resolution file per suite, shared by the apps of that suite. */
export function sqliteResolution(): { options: NonNullable<DaprModuleOptions['nameResolution']>; file: string; cleanup(): void } {
  const file = join(tmpdir(), `nest-dapr-nr-${randomUUID()}.db`);
  return {
    file,
    options: { component: 'sqlite', configuration: { connectionString: file } },
    cleanup: () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    },
  };
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Boots a real Nest app (express adapter) on a random loopback port and waits until it registered its address. */
export async function startApp(
  options: DaprModuleOptions,
  parts: { controllers?: Type[]; providers?: Provider[] } = {},
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [DaprModule.forRoot(options)],
    controllers: parts.controllers ?? [],
    providers: parts.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const names = app.get(NameResolutionService);
  if (names.resolverName === 'sqlite') {
    await until(() => names.address !== undefined, `${options.appId} to register`);
  }
  return { app, url, close: () => app.close() };
}

/** Polls with a deadline instead of sleeping a fixed time. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
