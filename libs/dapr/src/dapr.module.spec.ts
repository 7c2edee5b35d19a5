import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, SecretsService, UnknownComponentTypeError } from 'nest-dapr';
import { ComponentRuntime } from './runtime/component-runtime';

@Injectable()
class ConfigService {
  readonly appId = 'async-app';
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

describe('DaprModule', () => {
  it('forRoot initialises components and exposes services globally', async () => {
    process.env.NEST_DAPR_SPEC_SECRET = 's3cret';
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'order',
          components: [{ name: 'env', type: 'secretstores.local.env' }],
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const runtime = app.get(ComponentRuntime);
    expect(runtime.appId).toBe('order');
    expect(runtime.names()).toEqual(['env']);
    await expect(app.get(SecretsService).get('env', 'NEST_DAPR_SPEC_SECRET')).resolves.toEqual({
      NEST_DAPR_SPEC_SECRET: 's3cret',
    });
    await expect(runtime.health()).resolves.toEqual([{ name: 'env', type: 'secretstores.local.env', status: 'up' }]);
    await app.close();
    expect(runtime.names()).toEqual([]);
  });

  it('forRootAsync takes options from an injected factory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dapr-mod-'));
    writeFileSync(
      join(dir, 'env.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envstore\nspec:\n  type: secretstores.local.env\n  version: v1\n',
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ appId: config.appId, componentsPath: dir }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    expect(app.get(ComponentRuntime).appId).toBe('async-app');
    expect(app.get(ComponentRuntime).names('secretstores')).toEqual(['envstore']);
    await app.close();
  });

  it('fails start-up on an unknown component type, listing the known types', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'x', components: [{ name: 'bad', type: 'state.nope' }] })],
    });
    await expect(moduleRef.compile()).rejects.toThrow(UnknownComponentTypeError);
    await expect(
      Test.createTestingModule({
        imports: [DaprModule.forRoot({ appId: 'x', components: [{ name: 'bad', type: 'state.nope' }] })],
      }).compile(),
    ).rejects.toThrow(/known types: .*secretstores\.local\.env\/v1/);
  });
});
