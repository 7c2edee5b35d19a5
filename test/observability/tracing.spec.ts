import { Injectable } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Test, type TestingModule } from '@nestjs/testing';
import { BindingsService, DaprModule, PubSubService, StateService, Subscribe, type CloudEvent } from 'nest-dapr';

@Injectable()
class Checkout {
  done?: () => void;
  event?: CloudEvent<unknown>;

  constructor(
    private readonly bindings: BindingsService,
    private readonly state: StateService,
  ) {}

  @Subscribe({ pubsub: 'bus', topic: 'orders' })
  async onOrder(order: { id: string }, event: CloudEvent<{ id: string }>) {
    this.event = event;
    await this.state.get('store', order.id);
    await this.bindings.invoke('notify', 'post', { order: order.id });
    this.done?.();
  }
}

describe('tracing: one trace across state save → publish → delivery → state get → output binding → HTTP', () => {
  const exporter = new InMemorySpanExporter();
  let server: Server;
  const received: IncomingHttpHeaders[] = [];
  let app: TestingModule;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    server = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    app = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'trace-app',
          components: [
            { name: 'bus', type: 'pubsub.in-memory' },
            { name: 'store', type: 'state.in-memory' },
            { name: 'notify', type: 'bindings.http', metadata: { url } },
          ],
        }),
      ],
      providers: [Checkout],
    }).compile();
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server.close(r));
    trace.disable();
    context.disable();
  });

  it('links every hop by parent span id and carries traceparent in the CloudEvent and the HTTP call', async () => {
    const checkout = app.get(Checkout);
    const delivered = new Promise<void>((r) => (checkout.done = r));
    const request = trace.getTracer('test').startSpan('POST /orders', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), request), async () => {
      await app.get(StateService).save('store', { key: 'o-1', value: { total: 5 } });
      await app.get(PubSubService).publish('bus', 'orders', { id: 'o-1' });
    });
    request.end();
    await delivered;
    // The consumer span ends once the handler has returned and the delivery settled.
    const deadline = Date.now() + 5000;
    while (!exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }

    const spans = exporter.getFinishedSpans();
    const byName = (name: string, kind: SpanKind) => spans.find((s) => s.name === name && s.kind === kind) as ReadableSpan;
    const producer = byName('pubsub/orders', SpanKind.PRODUCER);
    const consumer = byName('pubsub/orders', SpanKind.CONSUMER);
    const binding = byName('bindings/notify', SpanKind.CLIENT);
    const save = byName('state/store/set', SpanKind.CLIENT);
    const read = byName('state/store/get', SpanKind.CLIENT);
    expect(producer && consumer && binding && save && read).toBeTruthy();
    const traceId = request.spanContext().traceId;
    for (const s of [producer, consumer, binding, save, read]) expect(s.spanContext().traceId).toBe(traceId);
    expect(save.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(read.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
    expect(save.attributes).toMatchObject({ 'db.system': 'state', 'db.name': 'store', 'db.operation.name': 'set' });
    expect(producer.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(binding.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
    expect(binding.attributes).toMatchObject({ 'db.system': 'bindings', 'db.name': 'notify', 'db.operation.name': 'post' });

    expect(checkout.event?.traceparent).toBe(`00-${traceId}-${producer.spanContext().spanId}-01`);
    expect(received[0].traceparent).toBe(`00-${traceId}-${binding.spanContext().spanId}-01`);
  });
});
