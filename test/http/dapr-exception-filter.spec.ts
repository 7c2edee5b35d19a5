import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Injectable, Module, NotFoundException, Param, Put } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import {
  DaprExceptionFilter,
  DaprModule,
  ETagMismatchError,
  InvocationService,
  PubSubService,
  StateService,
  Subscribe,
  type ComponentDefinition,
} from 'nest-dapr';
import { freePort } from '../e2e/support/sample-apps';

const REDIS = '127.0.0.1:6379';

/**
 * DaprExceptionFilter's HTTP error mapping (README "Use it in your app"), over real HTTP:
 * ETagMismatchError 409, ETagInvalidError / StateKeyInvalidError 400,
 * InvocationError the remote status, other DaprErrors 500, each with Dapr's
 * `{ errorCode, message }`; everything else is Nest's as before, and outside
 * HTTP (a subscription handler) the error still reaches the delivery pipeline.
 */
describe('DaprExceptionFilter', () => {
  const run = randomUUID().slice(0, 8);
  const appId = `filter-${run}`;
  let app: INestApplication;
  let base: string;
  const deliveries: string[] = [];

  @Controller()
  class ItemsController {
    constructor(
      private readonly state: StateService,
      private readonly invocation: InvocationService,
    ) {}

    @Put('items/:store/:key')
    async put(@Param('store') store: string, @Param('key') key: string, @Body() body: { value: unknown }, @Headers('if-match') etag?: string) {
      await this.state.save(store, { key, value: body.value, etag });
      return this.state.getItem(store, key);
    }

    @Get('teapot')
    @HttpCode(418)
    teapot() {
      return { short: 'and stout' };
    }

    @Get('via-invoke/:method')
    viaInvoke(@Param('method') method: string) {
      return this.invocation.invoke(appId, method, { httpMethod: 'GET' });
    }

    @Get('plain-error')
    plain() {
      throw new Error('not a Dapr error');
    }

    @Get('http-exception')
    http() {
      throw new NotFoundException('no such thing');
    }
  }

  @Injectable()
  class Events {
    @Subscribe({ pubsub: 'bus', topic: `filter-${run}` })
    onEvent(data: { n: number }) {
      deliveries.push(`n=${data.n}`);
      // The first delivery fails with a DaprError: the filter must not swallow it outside HTTP.
      if (deliveries.length === 1) throw new ETagMismatchError('k');
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const components: ComponentDefinition[] = [
      { name: 'memory', type: 'state.in-memory' },
      { name: 'redis', type: 'state.redis', metadata: { redisHost: REDIS } },
      { name: 'bus', type: 'pubsub.in-memory' },
    ];
    @Module({
      imports: [
        DaprModule.forRoot({
          appId,
          components,
          nameResolution: { component: 'static', configuration: { apps: { [appId]: base } } },
          resiliency: { policies: {}, targets: {} },
        }),
      ],
      controllers: [ItemsController],
      providers: [Events, { provide: APP_FILTER, useClass: DaprExceptionFilter }],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`${appId}||*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  async function put(store: string, key: string, value: unknown, etag?: string) {
    const res = await fetch(`${base}/items/${store}/${encodeURIComponent(key)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(etag === undefined ? {} : { 'if-match': etag }) },
      body: JSON.stringify({ value }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('answers a stale ETag with 409 and Dapr’s errorCode and message', async () => {
    const saved = await put('memory', 'a', 1);
    expect(saved.status).toBe(200);
    const stale = await put('memory', 'a', 2, 'stale');
    expect(stale).toEqual({ status: 409, body: { errorCode: 'ERR_STATE_SAVE', message: expect.stringContaining('possible etag mismatch') } });
    // With the current ETag the write goes through.
    expect((await put('memory', 'a', 3, String(saved.body.etag))).status).toBe(200);
  });

  it('answers an ETag of the wrong shape (Redis wants an integer) with 400', async () => {
    await put('redis', 'b', 1);
    const res = await put('redis', 'b', 2, 'W/"not-a-number"');
    expect(res).toEqual({ status: 400, body: { errorCode: 'ERR_STATE_SAVE', message: expect.stringContaining('invalid etag value') } });
  });

  it('answers a key containing "||" with 400', async () => {
    const res = await put('memory', 'x||y', 1);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errorCode: expect.stringMatching(/^ERR_/), message: expect.stringContaining('||') });
  });

  it('answers an InvocationError with the invoked app’s status', async () => {
    const res = await fetch(`${base}/via-invoke/teapot`);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ errorCode: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('HTTP 418') });
    const missing = await fetch(`${base}/via-invoke/no-such-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
  });

  it('answers any other DaprError with 500', async () => {
    const res = await put('no-such-store', 'k', 1);
    expect(res).toEqual({ status: 500, body: { errorCode: 'ERR_STATE_STORE_NOT_FOUND', message: expect.stringContaining('"no-such-store"') } });
  });

  it('leaves other errors to Nest', async () => {
    const plain = await fetch(`${base}/plain-error`);
    expect(plain.status).toBe(500);
    expect(await plain.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    const http = await fetch(`${base}/http-exception`);
    expect(http.status).toBe(404);
    expect(await http.json()).toEqual({ statusCode: 404, message: 'no such thing', error: 'Not Found' });
  });

  it('does not touch errors outside HTTP: a subscription handler’s DaprError is still retried', async () => {
    await app.get(PubSubService).publish('bus', `filter-${run}`, { n: 1 });
    const deadline = Date.now() + 15_000;
    while (deliveries.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(deliveries).toEqual(['n=1', 'n=1']);
  });
});
