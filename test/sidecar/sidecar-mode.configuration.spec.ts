import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { ConfigurationService } from '../../libs/dapr/src/configuration/configuration.service';
import type { ConfigurationItem } from '../../libs/dapr/src/configuration/configuration.interfaces';
import { OnConfigurationChange } from '../../libs/dapr/src/configuration/on-configuration-change.decorator';
import { DaprModule } from '../../libs/dapr/src/dapr.module';
import { ConfigurationUnsubscribeError } from '../../libs/dapr/src/errors/configuration.errors';
import { PrivateRedis } from '../configuration/private-servers';
import { component, eventually, freePort, startSidecar, waitForAppChannel, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * ConfigurationService and @OnConfigurationChange in sidecar mode: reads go
 * to `nest-dapr run`'s configuration API, subscriptions are made there and
 * their updates come back as daprd's `POST /configuration/<store>/<key>`.
 */
const run = randomBytes(4).toString('hex');
const appId = `modecfg-${run}`;

@Injectable()
class Feature {
  readonly updates: Record<string, ConfigurationItem>[] = [];

  @OnConfigurationChange('settings', ['feature.x', 'feature.y'])
  onChange(items: Record<string, ConfigurationItem>) {
    this.updates.push(items);
  }
}

@Module({ imports: [DaprModule.forRoot({ appId, sidecar: true })], providers: [Feature] })
class AppModule {}

let dir: string;
let redis: PrivateRedis;
let raw: Redis;
let sidecar: RunningSidecar;
let app: INestApplication;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  raw = new Redis({ host: '127.0.0.1', port: redis.port });
  dir = mkdtempSync(join(tmpdir(), 'modecfg-'));
  const appPort = await freePort();
  writeResources(dir, [component('settings', 'configuration.redis', { redisHost: `127.0.0.1:${redis.port}` })]);
  sidecar = await startSidecar({ appId, resources: dir, appPort });
  process.env.DAPR_HTTP_PORT = String(sidecar.http);
  app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(appPort, '127.0.0.1');
  await waitForAppChannel(sidecar);
}, 90_000);

afterAll(async () => {
  await app?.close();
  await sidecar?.stop();
  delete process.env.DAPR_HTTP_PORT;
  rmSync(dir, { recursive: true, force: true });
  raw?.disconnect();
  await redis?.stop();
}, 30_000);

describe('configuration in sidecar mode (DaprModule.forRoot({ sidecar }) on nest-dapr run)', () => {
  it('get reads through the sidecar', async () => {
    await raw.set('feature.x', 'on||1');
    const config = app.get(ConfigurationService);
    await expect(config.get('settings', ['feature.x', 'feature.none'])).resolves.toEqual({
      items: { 'feature.x': { key: 'feature.x', value: 'on', version: '1', metadata: {} } },
    });
    await expect(config.get('settings', ['feature.none'])).resolves.toEqual({ items: {} });
  });

  it('@OnConfigurationChange receives each change once, through the app callback', async () => {
    const feature = app.get(Feature);
    // The first test's write of feature.x was reported too.
    await eventually('the feature.x update', () => feature.updates.filter((u) => 'feature.x' in u).length, (n) => n === 1);
    await raw.set('feature.y', 'blue||5');
    await eventually('the update', () => feature.updates.filter((u) => 'feature.y' in u).length, (n) => n > 0);
    expect(feature.updates[feature.updates.length - 1]).toEqual({ 'feature.y': { key: 'feature.y', value: 'blue', version: '5', metadata: {} } });
    expect(feature.updates.filter((u) => 'feature.x' in u)).toEqual([{ 'feature.x': { key: 'feature.x', value: 'on', version: '1', metadata: {} } }]);
    await raw.del('feature.y');
    await eventually('the delete', () => feature.updates[feature.updates.length - 1]['feature.y']?.value, (v) => v === '');
  });

  it('subscribe and unsubscribe programmatically', async () => {
    const config = app.get(ConfigurationService);
    const seen: string[] = [];
    const sub = await config.subscribe('settings', ['prog.k'], (items) => void seen.push(items['prog.k'].value));
    await raw.set('prog.k', 'a||1');
    await eventually('the programmatic update', () => seen.length, (n) => n === 1);
    await sub.unsubscribe();
    await raw.set('prog.k', 'b||2');
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual(['a']);
    await expect(sub.unsubscribe()).rejects.toThrow(ConfigurationUnsubscribeError);
  });
});
