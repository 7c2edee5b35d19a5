import { Body, Controller, Get, Injectable, Param, Post, type INestApplication, type Type } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { request } from 'undici';
import { DaprModule, InvocationService, PubSubService, StateService, Subscribe, type ComponentDefinition, type DaprModuleOptions } from 'nest-dapr';

@Controller('orders')
class OrderController {
  constructor(
    private readonly state: StateService,
    private readonly pubsub: PubSubService,
  ) {}

  @Post()
  async create(@Body() order: { id: string; total: number }) {
    await this.state.save('orders', { key: order.id, value: order });
    await this.pubsub.publish('bus', 'orders', order);
    return { accepted: order.id };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return this.state.get('orders', id);
  }
}

@Injectable()
class CheckoutHandler {
  readonly seen: unknown[] = [];
  constructor(private readonly invocation: InvocationService) {}

  @Subscribe({ pubsub: 'bus', topic: 'orders' })
  async onOrder(order: { id: string }) {
    this.seen.push(await this.invocation.invoke('order', `orders/${order.id}`, { httpMethod: 'GET' }));
  }
}

async function start(options: DaprModuleOptions, parts: { controllers?: Type[]; providers?: Type[] }): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [DaprModule.forRoot(options)], ...parts }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('one trace across two apps: HTTP → order state save → publish → checkout handler → invocation back → state read', () => {
  const exporter = new InMemorySpanExporter();
  let order: INestApplication;
  let checkout: INestApplication;
  let orderUrl: string;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const bus: ComponentDefinition = {
      name: 'bus',
      type: 'pubsub.sqlite',
      metadata: { connectionString: join(mkdtempSync(join(tmpdir(), 'dapr-2apps-')), 'pubsub.db'), pollInterval: '10ms' },
    };
    order = await start(
      {
        appId: 'order',
        components: [bus, { name: 'orders', type: 'state.in-memory' }],
        nameResolution: { component: 'static', configuration: { apps: {} } },
      },
      { controllers: [OrderController] },
    );
    orderUrl = (await order.getUrl()).replace('[::1]', '127.0.0.1');
    checkout = await start(
      { appId: 'checkout', components: [bus], nameResolution: { component: 'static', configuration: { apps: { order: orderUrl } } } },
      { providers: [CheckoutHandler] },
    );
  }, 30_000);
  afterAll(async () => {
    await checkout?.close();
    await order?.close();
    trace.disable();
    context.disable();
  });

  it('all spans share the client trace and chain parent → child', async () => {
    const client = trace.getTracer('client').startSpan('client POST /orders', { kind: SpanKind.CLIENT });
    const sc = client.spanContext();
    const res = await request(`${orderUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${sc.traceId}-${sc.spanId}-01` },
      body: JSON.stringify({ id: 'o-1', total: 42 }),
    });
    expect(res.statusCode).toBe(201);
    await res.body.dump();
    client.end();

    const handler = checkout.get(CheckoutHandler);
    const deadline = Date.now() + 15_000;
    const done = () => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER);
    while ((handler.seen.length === 0 || !done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(handler.seen).toEqual([{ id: 'o-1', total: 42 }]);

    const spans = exporter.getFinishedSpans();
    const find = (name: string, kind: SpanKind) => {
      const s = spans.find((x) => x.name === name && x.kind === kind);
      if (!s) throw new Error(`no ${SpanKind[kind]} span ${name}; have ${spans.map((x) => `${x.name}/${SpanKind[x.kind]}`).join(', ')}`);
      return s;
    };
    const orderServer = find('POST /orders', SpanKind.SERVER);
    const save = find('state/orders/set', SpanKind.CLIENT);
    const publish = find('pubsub/orders', SpanKind.PRODUCER);
    const deliver = find('pubsub/orders', SpanKind.CONSUMER);
    const invokeClient = find('CallLocal/order/orders/o-1', SpanKind.CLIENT);
    const invokeServer = find('CallLocal/order/orders/o-1', SpanKind.SERVER);
    const read = find('state/orders/get', SpanKind.CLIENT);

    const chain: [ReadableSpan, string][] = [
      [orderServer, sc.spanId],
      [save, orderServer.spanContext().spanId],
      [publish, orderServer.spanContext().spanId],
      [deliver, publish.spanContext().spanId],
      [invokeClient, deliver.spanContext().spanId],
      [invokeServer, invokeClient.spanContext().spanId],
      [read, invokeServer.spanContext().spanId],
    ];
    for (const [span, parent] of chain) {
      expect(span.spanContext().traceId).toBe(sc.traceId);
      expect(`${span.name}<-${span.parentSpanContext?.spanId}`).toBe(`${span.name}<-${parent}`);
    }
  }, 30_000);
});
