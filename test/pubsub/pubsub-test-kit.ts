import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { DaprModule, type ComponentDefinition } from 'nest-dapr';

/** A short id no other run uses, so suites can share real brokers. */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` holds; fails with `what` at the deadline. */
export async function waitFor(check: () => boolean, what: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(20);
  }
}

/** Boots a Nest app with DaprModule and the given providers/controllers. */
export async function startApp(opts: {
  appId: string;
  components: ComponentDefinition[];
  providers?: Type<unknown>[];
  controllers?: Type<unknown>[];
}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [DaprModule.forRoot({ appId: opts.appId, components: opts.components })],
    providers: opts.providers ?? [],
    controllers: opts.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  return app;
}

/** Records what handlers saw, keyed by a label. */
export class Recorder<T = unknown> {
  readonly calls = new Map<string, T[]>();

  add(key: string, value: T): void {
    const list = this.calls.get(key);
    if (list) list.push(value);
    else this.calls.set(key, [value]);
  }

  get(key: string): T[] {
    return this.calls.get(key) ?? [];
  }

  count(key: string): number {
    return this.calls.get(key)?.length ?? 0;
  }
}
