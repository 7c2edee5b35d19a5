import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Controller, Get, Injectable, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { IsInt, IsString, Min } from 'class-validator';
import Redis from 'ioredis';
import { BindingsService } from '../../libs/dapr/src/bindings/bindings.service';
import { OnBinding } from '../../libs/dapr/src/bindings/on-binding.decorator';
import { DaprModule } from '../../libs/dapr/src/dapr.module';
import { ETagMismatchError } from '../../libs/dapr/src/errors/state.errors';
import { InvocationError } from '../../libs/dapr/src/errors/invocation.errors';
import { SidecarConfigError } from '../../libs/dapr/src/errors/sidecar.errors';
import { InvocationService } from '../../libs/dapr/src/invocation/invocation.service';
import { PubSubService } from '../../libs/dapr/src/pubsub/pubsub.service';
import { Subscribe } from '../../libs/dapr/src/pubsub/subscribe.decorator';
import { DropEvent } from '../../libs/dapr/src/pubsub/subscription-status';
import type { CloudEvent } from '../../libs/dapr/src/pubsub/pubsub.interfaces';
import { SecretsService } from '../../libs/dapr/src/secrets/secrets.service';
import { StateService } from '../../libs/dapr/src/state/state.service';
import { component, eventually, freePort, startSidecar, waitForAppChannel, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * Sidecar mode of the module: the same decorators and services, with a
 * `nest-dapr run` sidecar doing the work. The app's handlers keep their
 * semantics (validation drops to the dead-letter topic, DropEvent, a throw
 * is retried by the sidecar), its calls go to the sidecar, and what it sends
 * is what the official SDK's DaprClient sends, header for header.
 */
const run = randomBytes(4).toString('hex');
const appId = `mode-${run}`;
const seen: Record<string, unknown[]> = {};
const record = (k: string, v: unknown) => (seen[k] ??= []).push(v);
/** Topics (Redis streams) of this run only. */
const T = (t: string) => `mode-${run}-${t}`;
let failOnce = true;

class OrderPlaced {
  @IsString()
  id!: string;

  @IsInt()
  @Min(1)
  qty!: number;
}

@Injectable()
class Handlers {
  @Subscribe({ pubsub: 'bus', topic: T('orders'), deadLetterTopic: T('orders-dead') })
  onOrder(order: OrderPlaced, event: CloudEvent<OrderPlaced>) {
    record('orders', { order, type: event.type, pubsub: event.pubsubname });
  }

  @Subscribe({ pubsub: 'bus', topic: T('orders-dead') })
  onDead(data: unknown) {
    record('dead', data);
  }

  @Subscribe({ pubsub: 'bus', topic: T('flaky') })
  onFlaky(data: { n: number }) {
    record('flaky-attempts', data);
    if (failOnce) {
      failOnce = false;
      throw new Error('first attempt fails');
    }
    record('flaky', data);
  }

  @Subscribe({ pubsub: 'bus', topic: T('drop'), deadLetterTopic: T('orders-dead') })
  onDrop(data: { n: number }) {
    record('drop', data);
    throw new DropEvent('not for us');
  }

  @Subscribe({ pubsub: 'bus', topic: T('routed'), match: 'event.type == "vip"' })
  onVip(data: unknown) {
    record('vip', data);
  }

  @Subscribe({ pubsub: 'bus', topic: T('routed') })
  onOther(data: unknown) {
    record('other', data);
  }

  @OnBinding('tick')
  onTick(_data: unknown, metadata: Record<string, string>) {
    record('tick', metadata);
  }
}

@Controller('api')
class ApiController {
  @Post('echo/:id')
  echo(@Param('id') id: string, @Body() body: unknown) {
    return { id, body };
  }

  @Get('missing')
  missing() {
    throw new InvocationError(appId, 'missing', 418, 'teapot', {});
  }
}

@Module({
  imports: [DaprModule.forRoot({ appId, sidecar: true })],
  controllers: [ApiController],
  providers: [Handlers],
})
class AppModule {}

let dir: string;
let sidecar: RunningSidecar;
let app: INestApplication;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mode-'));
  const appPort = await freePort();
  writeResources(join(dir, 'res'), [
    component('bus', 'pubsub.redis', { redisHost: '127.0.0.1:6379', consumerID: `mode-${run}`, redeliverInterval: '200ms', processingTimeout: '1s' }),
    component('store', 'state.redis', { redisHost: '127.0.0.1:6379', keyPrefix: `mode-${run}` }),
    component('env', 'secretstores.local.env'),
    component('tick', 'bindings.cron', { schedule: '@every 1s' }),
    component('files', 'bindings.localstorage', { rootPath: join(dir, 'files') }),
  ]);
  sidecar = await startSidecar({ appId, resources: join(dir, 'res'), appPort });
  process.env.DAPR_HTTP_PORT = String(sidecar.http);
  app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(appPort, '127.0.0.1');
  await waitForAppChannel(sidecar);
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await app?.close();
  delete process.env.DAPR_HTTP_PORT;
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis('127.0.0.1:6379');
  const keys = await redis.keys(`mode-${run}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}, 30_000);

describe('DaprModule.forRoot({ sidecar }) on nest-dapr run', () => {
  it('keeps state in the sidecar’s store, with ETags and typed ETag errors', async () => {
    const state = app.get(StateService);
    await state.save('store', { key: 'k1', value: { total: 5 } });
    const item = await state.getItem<{ total: number }>('store', 'k1');
    expect(item).toMatchObject({ key: 'k1', value: { total: 5 } });
    expect(item!.etag).toBeTruthy();
    await expect(state.save('store', { key: 'k1', value: { total: 6 }, etag: '999', options: { concurrency: 'first-write' } })).rejects.toBeInstanceOf(ETagMismatchError);
    // What the sidecar's HTTP API sees is the same item.
    const raw = await fetch(`http://127.0.0.1:${sidecar.http}/v1.0/state/store/k1`);
    expect(await raw.json()).toEqual({ total: 5 });
    expect(await state.getBulk('store', ['k1', 'none'])).toEqual([{ key: 'k1', value: { total: 5 }, etag: item!.etag }, { key: 'none' }]);
    await state.transaction('store', [{ operation: 'delete', request: { key: 'k1' } }]);
    expect(await state.get('store', 'k1')).toBeUndefined();
  });

  it('delivers published events to @Subscribe handlers, validated', async () => {
    const pubsub = app.get(PubSubService);
    await pubsub.publish('bus', T('orders'), { id: 'o1', qty: 2 });
    await eventually('order', () => seen.orders?.length ?? 0, (n) => n === 1);
    expect(seen.orders![0]).toEqual({ order: { id: 'o1', qty: 2 }, type: 'com.dapr.event.sent', pubsub: 'bus' });
    expect(seen.orders![0]).toHaveProperty('order', expect.any(OrderPlaced));
  });

  it('sends an invalid payload to the dead-letter topic instead of the handler, and DropEvent too', async () => {
    const pubsub = app.get(PubSubService);
    await pubsub.publish('bus', T('orders'), { id: 'bad', qty: 0 });
    await pubsub.publish('bus', T('drop'), { n: 7 });
    await eventually('dead letters', () => seen.dead?.length ?? 0, (n) => n === 2);
    expect(seen.dead).toEqual(expect.arrayContaining([{ id: 'bad', qty: 0 }, { n: 7 }]));
    expect(seen.orders).toHaveLength(1);
  });

  it('retries a handler that threw (the sidecar redelivers on RETRY)', async () => {
    await app.get(PubSubService).publish('bus', T('flaky'), { n: 1 });
    await eventually('flaky delivered', () => seen.flaky?.length ?? 0, (n) => n === 1);
    expect(seen['flaky-attempts']!.length).toBeGreaterThanOrEqual(2);
  });

  it('routes by match rules (evaluated by the sidecar) to the right handler', async () => {
    const pubsub = app.get(PubSubService);
    await pubsub.publish('bus', T('routed'), { v: 1 }, { cloudEvent: { type: 'vip' } });
    await pubsub.publish('bus', T('routed'), { v: 2 });
    await eventually('routed', () => (seen.vip?.length ?? 0) + (seen.other?.length ?? 0), (n) => n === 2);
    expect(seen.vip).toEqual([{ v: 1 }]);
    expect(seen.other).toEqual([{ v: 2 }]);
  });

  it('invokes apps through the sidecar (here itself): controllers answer, failures are InvocationError', async () => {
    const invoker = app.get(InvocationService);
    expect(await invoker.invoke(appId, 'api/echo/9', { body: { a: 1 } })).toEqual({ id: '9', body: { a: 1 } });
    await expect(invoker.invoke(appId, 'api/nowhere')).rejects.toMatchObject({ status: 404 });
  });

  it('receives input binding events on @OnBinding handlers, and invokes output bindings and secrets on the sidecar', async () => {
    await eventually('cron', () => seen.tick?.length ?? 0, (n) => n >= 1, 5000);
    const bindings = app.get(BindingsService);
    await bindings.invoke('files', 'create', { written: 1 }, { fileName: 'x.json' });
    expect((await bindings.invoke('files', 'get', undefined, { fileName: 'x.json' })).data).toEqual({ written: 1 });
    process.env[`MODE_SECRET_${run}`] = 'nope';
    const secrets = app.get(SecretsService);
    await expect(secrets.get('env', 'PATH')).resolves.toHaveProperty('PATH');
  });

  it('lists the handlers on GET /dapr/subscribe as daprd expects them', async () => {
    const res = await fetch(`${await app.getUrl()}/dapr/subscribe`);
    const subs = (await res.json()) as { pubsubname: string; topic: string; routes: { rules: { match: string; path: string }[]; default?: string }; deadLetterTopic?: string }[];
    const orders = subs.find((s) => s.topic === T('orders'))!;
    expect(orders).toMatchObject({ pubsubname: 'bus', deadLetterTopic: T('orders-dead'), routes: { rules: [], default: expect.stringMatching(/^\/dapr\/pubsub\//) } });
    const routed = subs.find((s) => s.topic === T('routed'))!;
    expect(routed.routes.rules).toEqual([{ match: 'event.type == "vip"', path: expect.any(String) }]);
    expect(routed.routes.default).toEqual(expect.any(String));
  });
});

describe('sidecar mode requests match the official SDK, header for header', () => {
  let server: Server;
  let port: number;
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url!.startsWith('/v1.0/state/store/k')) {
          res.writeHead(200, { 'content-type': 'application/json', etag: '1' });
          res.end('{"a":1}');
        } else if (req.url!.startsWith('/v1.0/invoke/')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        } else if (req.url!.startsWith('/v1.0/bindings/')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        } else if (req.url!.startsWith('/v1.0/secrets/')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"s":"v"}');
        } else {
          res.writeHead(req.url === '/v1.0/metadata' ? 200 : 204, { 'content-type': 'application/json' });
          res.end(req.url === '/v1.0/metadata' ? '{}' : undefined);
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('sends the same method, path, headers and body as DaprClient for state, publish, invoke, bindings and secrets', async () => {
    const sdk = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(port), communicationProtocol: CommunicationProtocolEnum.HTTP, daprApiToken: 'tok', logger: { level: LogLevel.Error } });
    const operations: [string, () => Promise<unknown>][] = [
      ['state get', () => sdk.state.get('store', 'k')],
      ['state save', () => sdk.state.save('store', [{ key: 'k', value: { a: 1 } }])],
      ['state delete', () => sdk.state.delete('store', 'k')],
      ['publish', () => sdk.pubsub.publish('bus', T('orders'), { id: 1 })],
      ['invoke', () => sdk.invoker.invoke('other', 'orders/1', HttpMethod.POST, { q: 1 })],
      ['binding', () => sdk.binding.send('files', 'create', { x: 1 }, { fileName: 'f' })],
      ['secret', () => sdk.secret.get('vault', 'db')],
    ];
    const sdkRequests: typeof requests = [];
    for (const [, op] of operations) {
      requests.length = 0;
      await op();
      sdkRequests.push(requests.find((r) => r.url !== '/v1.0/metadata')!);
    }
    await sdk.stop();

    @Module({ imports: [DaprModule.forRoot({ appId: 'mirror', sidecar: { httpEndpoint: `http://127.0.0.1:${port}`, apiToken: 'tok' } })] })
    class MirrorModule {}
    const ctx = await NestFactory.createApplicationContext(MirrorModule, { logger: ['error'] });
    try {
      const ours: [string, () => Promise<unknown>][] = [
        ['state get', () => ctx.get(StateService).get('store', 'k')],
        ['state save', () => ctx.get(StateService).save('store', [{ key: 'k', value: { a: 1 } }])],
        ['state delete', () => ctx.get(StateService).delete('store', 'k')],
        ['publish', () => ctx.get(PubSubService).publish('bus', T('orders'), { id: 1 })],
        ['invoke', () => ctx.get(InvocationService).invoke('other', 'orders/1', { httpMethod: 'POST', body: { q: 1 } })],
        ['binding', () => ctx.get(BindingsService).invoke('files', 'create', { x: 1 }, { fileName: 'f' })],
        ['secret', () => ctx.get(SecretsService).get('vault', 'db')],
      ];
      for (let i = 0; i < ours.length; i++) {
        requests.length = 0;
        await ours[i][1]();
        const mine = requests.find((r) => r.url !== '/v1.0/metadata' && r.url !== '/v1.0/healthz/outbound')!;
        const theirs = sdkRequests[i];
        const label = ours[i][0];
        expect({ label, method: mine.method, path: mine.url.split('?')[0] }).toEqual({ label, method: theirs.method, path: theirs.url.split('?')[0] });
        // Same header names; same values except the user agent, which names the client.
        const names = (h: IncomingMessage['headers']) => Object.keys(h).sort();
        expect({ label, headers: names(mine.headers) }).toEqual({ label, headers: names(theirs.headers) });
        for (const name of names(theirs.headers)) {
          if (name === 'user-agent' || name === 'content-length' || name === 'host') continue;
          expect({ label, name, value: mine.headers[name] }).toEqual({ label, name, value: theirs.headers[name] });
        }
        const parse = (b: string) => (b ? (JSON.parse(b) as unknown) : undefined);
        if (label !== 'state save') expect({ label, body: parse(mine.body) }).toEqual({ label, body: parse(theirs.body) });
        else expect(parse(mine.body)).toEqual([{ key: 'k', value: { a: 1 } }]);
      }
    } finally {
      await ctx.close();
    }
  });

  it('refuses components together with sidecar at start-up', async () => {
    @Module({ imports: [DaprModule.forRoot({ appId: 'both', sidecar: true, components: [{ name: 's', type: 'state.in-memory' }] })] })
    class BothModule {}
    await expect(NestFactory.createApplicationContext(BothModule, { logger: false, abortOnError: false })).rejects.toBeInstanceOf(SidecarConfigError);
  });
});
