import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { request } from 'undici';
import { DaprHealthIndicator, DaprHealthModule, DaprHealthService, DaprModule } from 'nest-dapr';
import { TcpProxy } from './tcp-proxy';

@Controller('terminus')
class TerminusHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dapr: DaprHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.dapr.isHealthy('dapr')]);
  }
}

@Module({ imports: [TerminusModule], controllers: [TerminusHealthController] })
class TerminusHealthModule {}

async function get(base: string, path: string) {
  const res = await request(`${base}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('health: readiness per component, liveness, terminus indicator', () => {
  const proxy = new TcpProxy('127.0.0.1', 6379);
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const port = await proxy.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'health-app',
          components: [
            { name: 'cache', type: 'bindings.redis', metadata: { redisHost: `127.0.0.1:${port}`, redisPassword: '' } },
            { name: 'files', type: 'bindings.localstorage', metadata: { rootPath: join(tmpdir(), 'dapr-health') } },
          ],
        }),
        DaprHealthModule,
        TerminusHealthModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await proxy.stop();
  });

  it('reports ready with each component up', async () => {
    const ready = await get(base, '/healthz/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ok',
      appId: 'health-app',
      components: { cache: { type: 'bindings.redis', status: 'up' }, files: { type: 'bindings.localstorage', status: 'up' } },
    });
    expect((await get(base, '/healthz')).status).toBe(200);
    expect((await get(base, '/v1.0/healthz')).status).toBe(204);
    expect((await get(base, '/v1.0/healthz/outbound')).status).toBe(204);
    const t = await get(base, '/terminus');
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ status: 'ok', info: { dapr: { status: 'up' } } });
  });

  it('turns not ready when the Redis behind a component goes away, and ready again when it returns', async () => {
    await proxy.stop();
    const down = await until(
      () => get(base, '/healthz/ready'),
      (r) => r.status === 503,
    );
    expect(down.body).toMatchObject({
      status: 'error',
      components: { cache: { status: 'down' }, files: { status: 'up' } },
    });
    expect(typeof (down.body!.components as Record<string, { error?: string }>).cache.error).toBe('string');
    // Liveness is unaffected: a broker outage must not restart the app.
    expect((await get(base, '/healthz')).status).toBe(200);
    const dapr = await get(base, '/v1.0/healthz');
    expect(dapr.status).toBe(500);
    expect(dapr.body).toMatchObject({ errorCode: 'ERR_HEALTH_NOT_READY' });
    const t = await get(base, '/terminus');
    expect(t.status).toBe(503);
    expect(t.body).toMatchObject({ status: 'error', error: { dapr: { status: 'down' } } });

    await proxy.start();
    const up = await until(
      () => get(base, '/healthz/ready'),
      (r) => r.status === 200,
    );
    expect(up.body).toMatchObject({ status: 'ok', components: { cache: { status: 'up' } } });
  }, 40_000);

  it('reports shutting_down once shutdown begins', async () => {
    const health = app.get(DaprHealthService);
    health.beforeApplicationShutdown();
    const r = await get(base, '/healthz/ready');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'shutting_down' });
    await expect(app.get(DaprHealthIndicator).isHealthy()).resolves.toMatchObject({ dapr: { status: 'down', shuttingDown: true } });
  });
});
