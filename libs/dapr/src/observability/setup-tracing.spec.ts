import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const mockLoaded = { sdkNode: false };
jest.mock('@opentelemetry/sdk-node', () => {
  mockLoaded.sdkNode = true;
  return jest.requireActual('@opentelemetry/sdk-node');
});

describe('setupTracing', () => {
  it('is not loaded with the library, and starts the Node SDK when called', async () => {
    // require, not import: the mock above must be in place before the library loads.
    const lib = require('nest-dapr') as typeof import('nest-dapr');
    const daprTracer = new (require('./dapr-tracer') as typeof import('./dapr-tracer')).DaprTracer();
    expect(mockLoaded.sdkNode).toBe(false);

    const exporter = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor(exporter);
    const handle = lib.setupTracing({
      serviceName: 'tracing-spec',
      exporter: 'none',
      samplingRate: 1,
      spanProcessors: [processor],
    });
    expect(mockLoaded.sdkNode).toBe(true);
    try {
      const span = daprTracer.startProducerSpan({ pubsub: 'ps', topic: 'orders' });
      expect(span.isRecording()).toBe(true);
      // W3C propagation and the async context manager come with the SDK.
      const { context, trace } = await import('@opentelemetry/api');
      await context.with(trace.setSpan(context.active(), span), async () => {
        await new Promise((r) => setTimeout(r, 1));
        expect(daprTracer.currentIds()?.spanId).toBe(span.spanContext().spanId);
      });
      span.end();
      // The SDK's resource has async attributes; the processor exports once they settle.
      await processor.forceFlush();
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['pubsub/orders']);
      expect(exporter.getFinishedSpans()[0].resource.attributes['service.name']).toBe('tracing-spec');
    } finally {
      await handle.shutdown();
    }
  });
});
