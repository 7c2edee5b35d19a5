import { Injectable, type INestApplication } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PubSubService, Subscribe, type CloudEvent } from 'nest-dapr';
import { Recorder, runId, startApp, waitFor } from './pubsub-test-kit';

/** Trace context travels in the CloudEvent: publish (producer) → delivery (consumer) → handler, one trace. */
describe('pub/sub tracing', () => {
  const exporter = new InMemorySpanExporter();
  let app: INestApplication | undefined;

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });

  afterAll(() => {
    trace.disable();
    context.disable();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('parents the consumer span on the producer span and runs the handler inside it', async () => {
    const topic = `traced-${runId()}`;
    const rec = new Recorder<{ traceId?: string; spanId?: string; event: CloudEvent }>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'memps', topic })
      on(_data: unknown, event: CloudEvent) {
        const sc = trace.getActiveSpan()?.spanContext();
        rec.add('seen', { traceId: sc?.traceId, spanId: sc?.spanId, event });
      }
    }
    app = await startApp({ appId: 'traced', components: [{ name: 'memps', type: 'pubsub.in-memory' }], providers: [Handlers] });
    const pub = app.get(PubSubService);
    const root = trace.getTracer('test').startSpan('request');
    await context.with(trace.setSpan(context.active(), root), () => pub.publish('memps', topic, { a: 1 }));
    root.end();
    await waitFor(() => rec.count('seen') === 1, 'the traced delivery');
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER), 'the consumer span');

    const spans = exporter.getFinishedSpans().filter((s) => s.name === `pubsub/${topic}`);
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(producer).toBeDefined();
    expect(consumer).toBeDefined();
    const rootCtx = root.spanContext();
    expect(producer.spanContext().traceId).toBe(rootCtx.traceId);
    expect(producer.parentSpanContext?.spanId).toBe(rootCtx.spanId);
    expect(consumer.spanContext().traceId).toBe(rootCtx.traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);

    const seen = rec.get('seen')[0];
    expect(seen.event.traceparent).toBe(`00-${rootCtx.traceId}-${producer.spanContext().spanId}-01`);
    expect(seen.traceId).toBe(rootCtx.traceId);
    expect(seen.spanId).toBe(consumer.spanContext().spanId);
  });
});
