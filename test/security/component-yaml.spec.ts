import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule } from 'nest-dapr';
import { HOSTILE_COMPONENT_YAML } from './hostile-inputs';

const files: Record<string, string> = {
  'alias bomb (billion laughs)': 'bomb.yaml',
  'not YAML': 'not-yaml.yaml',
  'a list at the top': 'top-level-list.yaml',
  'unknown component type': 'unknown-type.yaml',
  'metadata as a map': 'metadata-map.yaml',
  'metadata item without a name': 'metadata-no-name.yaml',
  'initTimeout that is not a duration': 'init-timeout.yaml',
  'access control policy without namespace': 'acl-no-namespace.yaml',
};

/** Hostile resource files stop start-up with a typed error naming the file (and line/field) — never a crash or a hang. */
describe('hostile component YAML', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(HOSTILE_COMPONENT_YAML.map((h) => [h.name, h] as const))('%s', async (name, h) => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-hostile-yaml-'));
    dirs.push(dir);
    writeFileSync(join(dir, files[name]), h.yaml);
    const started = Date.now();
    const err = await (async () => {
      const ref = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'yaml-spec', componentsPath: dir })] }).compile();
      const app = ref.createNestApplication({ logger: false });
      try {
        await app.init();
      } finally {
        await app.close().catch(() => undefined);
      }
    })().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe(h.error);
    expect(err).toMatchObject({ errorCode: 'ERR_COMPONENT_CONFIG', message: expect.stringMatching(h.message) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
