import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DaprModule, type ComponentDefinition } from 'nest-dapr';

/** Boots DaprModule with the given components (and handler providers) through the full lifecycle. */
export async function bootBindingsApp(components: ComponentDefinition[], providers: Provider[] = []): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [DaprModule.forRoot({ appId: 'bindings-test', components })],
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
