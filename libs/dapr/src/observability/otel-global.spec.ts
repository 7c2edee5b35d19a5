import { Test } from '@nestjs/testing';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DaprModule } from '../dapr.module';
import { StateService } from '../state/state.service';
import { DaprTracer } from './dapr-tracer';
import { openTelemetryRegistered } from './otel-global';

// The state hot path skips every OpenTelemetry call while this reports false, so it must turn
// true as soon as the app registers anything through the API (a renamed registry would make
// state spans and metrics silently vanish). Jest gives this file a realm of its own, so nothing
// is registered when it starts.
describe('openTelemetryRegistered', () => {
  afterEach(() => {
    trace.disable();
    metrics.disable();
    context.disable();
  });

  it('is false until the app registers through @opentelemetry/api, then true', async () => {
    expect(openTelemetryRegistered()).toBe(false);

    const app = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'otel-global', components: [{ name: 'store', type: 'state.in-memory' }] })],
    }).compile();
    await app.init();
    const state = app.get(StateService);
    const startStateSpan = jest.spyOn(app.get(DaprTracer), 'startStateSpan');

    // Nothing registered: the state call asks the tracer nothing.
    await state.save('store', { key: 'a', value: 1 });
    expect(startStateSpan).not.toHaveBeenCalled();

    // A meter provider alone is enough to leave the shortcut.
    metrics.setGlobalMeterProvider(metrics.getMeterProvider());
    expect(openTelemetryRegistered()).toBe(true);

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // A state span is a leaf: it exists inside a trace, here the app's own root span.
    await trace.getTracer('app').startActiveSpan('root', async (root) => {
      await expect(state.get('store', 'a')).resolves.toBe(1);
      root.end();
    });
    expect(startStateSpan).toHaveBeenCalledTimes(1);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['state/store/get', 'root']);
    await app.close();
  });
});
