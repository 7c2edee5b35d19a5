import { Controller, Get, Headers, HttpException, Injectable, Post } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { request } from 'undici';
import { DaprModule, StateService } from 'nest-dapr';

@Injectable()
@Controller()
class OrdersController {
  constructor(private readonly state: StateService) {}

  @Post('orders')
  async create(@Headers('x-id') id: string) {
    await new Promise((r) => setTimeout(r, 5));
    await this.state.save('store', { key: id, value: { id } });
    return { ok: true };
  }

  @Get('missing')
  missing() {
    throw new HttpException('nope', 404);
  }
}

describe('incoming HTTP requests continue the caller trace (no instrumentation-http)', () => {
  const exporter = new InMemorySpanExporter();
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'order', components: [{ name: 'store', type: 'state.in-memory' }] })],
      controllers: [OrdersController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('an invocation (dapr-callee-app-id) gets a CallLocal server span parented on traceparent; its state call is a child', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request(`${base}/orders`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'dapr-caller-app-id': 'checkout', 'dapr-callee-app-id': 'order', 'x-id': 'o-9' },
    });
    expect(res.statusCode).toBe(201);
    await res.body.dump();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const save = spans.find((s) => s.name === 'state/store/set')!;
    expect(server.name).toBe('CallLocal/order/orders');
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(server.attributes['http.response.status_code']).toBe(201);
    expect(save.spanContext().traceId).toBe(traceId);
    expect(save.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it('a plain request gets a "<METHOD> <route>" server span; 4xx is not an error', async () => {
    const res = await request(`${base}/missing`);
    expect(res.statusCode).toBe(404);
    await res.body.dump();
    const [server] = exporter.getFinishedSpans();
    expect(server.name).toBe('GET /missing');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.status.code).toBe(0);
    expect(server.attributes['http.response.status_code']).toBe(404);
  });
});
