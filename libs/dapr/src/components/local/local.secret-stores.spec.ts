import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { DaprModule, SecretNotFoundError, SecretStoreNotFoundError, SecretsService } from 'nest-dapr';

describe('local secret stores through SecretsService', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dapr-file-secrets-'));
  const file = join(dir, 'secrets.json');
  writeFileSync(file, JSON.stringify({ db: { user: 'app', password: 'p@ss', port: 5432 }, token: 'abc' }));

  async function secrets(components: Parameters<typeof DaprModule.forRoot>[0]['components']) {
    const ref = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'secrets-spec', components })] }).compile();
    const app = await ref.createNestApplication().init();
    return { app, svc: app.get(SecretsService) };
  }

  it('secretstores.local.file flattens nested keys with the default ":" separator', async () => {
    const { app, svc } = await secrets([{ name: 'file', type: 'secretstores.local.file', metadata: { secretsFile: file } }]);
    await expect(svc.get('file', 'db:password')).resolves.toEqual({ 'db:password': 'p@ss' });
    await expect(svc.get('file', 'db:port')).resolves.toEqual({ 'db:port': '5432' });
    await expect(svc.getBulk('file')).resolves.toEqual({
      'db:user': { 'db:user': 'app' },
      'db:password': { 'db:password': 'p@ss' },
      'db:port': { 'db:port': '5432' },
      token: { token: 'abc' },
    });
    await expect(svc.get('file', 'db')).rejects.toThrow(SecretNotFoundError);
    await app.close();
  });

  it('honours nestedSeparator and multiValued', async () => {
    const { app, svc } = await secrets([
      { name: 'dots', type: 'secretstores.local.file', metadata: { secretsFile: file, nestedSeparator: '.' } },
      { name: 'multi', type: 'secretstores.local.file', metadata: { secretsFile: file, multiValued: true } },
    ]);
    await expect(svc.get('dots', 'db.user')).resolves.toEqual({ 'db.user': 'app' });
    await expect(svc.get('multi', 'db')).resolves.toEqual({ user: 'app', password: 'p@ss', port: '5432' });
    await app.close();
  });

  it('secretstores.local.env reads variables, with an optional prefix', async () => {
    process.env.NDSPEC_API_KEY = 'k1';
    const { app, svc } = await secrets([
      { name: 'env', type: 'secretstores.local.env' },
      { name: 'pref', type: 'secretstores.local.env', metadata: { prefix: 'NDSPEC_' } },
    ]);
    await expect(svc.get('env', 'NDSPEC_API_KEY')).resolves.toEqual({ NDSPEC_API_KEY: 'k1' });
    await expect(svc.get('pref', 'API_KEY')).resolves.toEqual({ API_KEY: 'k1' });
    await expect(svc.getBulk('pref')).resolves.toEqual({ API_KEY: { API_KEY: 'k1' } });
    await expect(svc.get('env', 'NDSPEC_MISSING')).rejects.toThrow(/secret "NDSPEC_MISSING" not found in secret store "env"/);
    await app.close();
  });

  it('an unknown store is a typed error naming the known stores', async () => {
    const { app, svc } = await secrets([{ name: 'env', type: 'secretstores.local.env' }]);
    await expect(svc.get('vault', 'x')).rejects.toThrow(SecretStoreNotFoundError);
    await expect(svc.get('vault', 'x')).rejects.toThrow(/secret store "vault" is not configured; known: env/);
    await app.close();
  });

  it('a missing secretsFile metadata field names component and field', async () => {
    await expect(secrets([{ name: 'f', type: 'secretstores.local.file' }])).rejects.toThrow(
      /component "f" is missing required metadata "secretsFile"/,
    );
  });

  it('a malformed secrets file fails start-up naming file, line and column, without any of its content (issue 13 item 9)', async () => {
    const bad = join(dir, 'broken.json');
    writeFileSync(bad, '{\n  "db": {\n    "user": "app",\n    "password": Sup3rS3cret!\n  }\n}\n');
    const err = await secrets([{ name: 'broken', type: 'secretstores.local.file', metadata: { secretsFile: bad } }]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/broken\.json is not valid JSON \(line 4, column \d+\)/);
    for (const fragment of ['Sup3r', 'S3cret', 'cret!', 'assword']) {
      expect(err?.message).not.toContain(fragment);
      expect(String(err?.stack)).not.toContain(fragment);
    }
    expect((err as { cause?: unknown })?.cause).toBeUndefined();
  });
});
