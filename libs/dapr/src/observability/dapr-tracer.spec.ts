import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { DaprTracer } from './dapr-tracer';

const daprTracer = new DaprTracer();
import { formatTraceparent, parseTraceparent } from './trace-context';

describe('DaprTracer', () => {
  const exporter = new InMemorySpanExporter();
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterEach(() => {
    trace.disable();
    exporter.reset();
  });
  afterAll(() => {
    context.disable();
  });

  const register = (sampled = true) =>
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({
        sampler: sampled ? undefined : new AlwaysOffSampler(),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
    );

  it('is a cheap no-op without a tracer provider, yet passes trace context through', () => {
    const span = daprTracer.startProducerSpan({ pubsub: 'ps', topic: 'orders' });
    expect(span.isRecording()).toBe(false);
    span.end();
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { span: consumer, context: ctx } = daprTracer.startConsumerSpan({ pubsub: 'ps', topic: 'orders' }, parent);
    expect(consumer.isRecording()).toBe(false);
    expect(daprTracer.injectTraceContext({}, ctx)).toEqual({ traceparent: parent });
  });

  it('links producer → consumer → state through traceparent, with Dapr names and semconv attributes', async () => {
    register();
    const producer = daprTracer.startProducerSpan({ pubsub: 'ps', topic: 'orders', componentType: 'pubsub.kafka' });
    const ce: Record<string, string> = daprTracer.injectTraceContext({}, producer);
    producer.end();
    expect(ce.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const delivery = daprTracer.startConsumerSpan({ pubsub: 'ps', topic: 'orders' }, ce.traceparent, ce.tracestate);
    await daprTracer.runInSpan(delivery, () => daprTracer.withStateSpan('orders', 'get', async () => 1, 'state.redis'));
    delivery.span.end();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['pubsub/orders', SpanKind.PRODUCER],
      ['state/orders/get', SpanKind.CLIENT],
      ['pubsub/orders', SpanKind.CONSUMER],
    ]);
    const [p, s, c] = spans;
    expect(new Set(spans.map((x) => x.spanContext().traceId)).size).toBe(1);
    expect(c.parentSpanContext?.spanId).toBe(p.spanContext().spanId);
    expect(s.parentSpanContext?.spanId).toBe(c.spanContext().spanId);
    expect(p.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'send',
    });
    expect(s.attributes).toMatchObject({ 'db.system': 'redis', 'db.name': 'orders', 'db.operation.name': 'get' });
  });

  it('records errors on the span', async () => {
    register();
    const parent = daprTracer.startInvocationSpan('app', 'm');
    await expect(
      daprTracer.runInSpan(parent, () =>
        daprTracer.withStateSpan('s', 'set', async () => {
          throw new Error('boom');
        }),
      ),
    ).rejects.toThrow('boom');
    parent.end();
    const [span] = exporter.getFinishedSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events[0].name).toBe('exception');
  });

  it('keeps the unsampled decision of the parent and does not record', () => {
    register(false);
    const span = daprTracer.startInvocationSpan('checkout', 'orders', 'POST');
    expect(span.isRecording()).toBe(false);
    const headers: Record<string, string> = daprTracer.injectTraceContext({}, span);
    expect(headers.traceparent).toMatch(/-00$/);
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('leaf spans join an existing trace only; an unsampled parent is passed through without the SDK', async () => {
    register();
    await daprTracer.withStateSpan('s', 'get', async () => 1);
    expect(daprTracer.startOutputBindingSpan('b', 'create').isRecording()).toBe(false);
    expect(exporter.getFinishedSpans()).toHaveLength(0);

    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const delivery = daprTracer.startConsumerSpan({ pubsub: 'ps', topic: 't' }, unsampled);
    expect(delivery.span.isRecording()).toBe(false);
    const state = daprTracer.runInSpan(delivery, () => daprTracer.startStateSpan('s', 'get'));
    expect(state.isRecording()).toBe(false);
    expect(daprTracer.injectTraceContext({}, state)).toEqual({ traceparent: unsampled });
  });

  it('parses and formats W3C traceparent strictly', () => {
    const sc = parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'a=b');
    expect(sc?.traceState?.get('a')).toBe('b');
    expect(formatTraceparent(sc!)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
  });
});
