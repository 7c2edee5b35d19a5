import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { INestApplication } from '@nestjs/common';
import { LockService } from 'nest-dapr';
import { startLockApp } from './lock-conformance';

/** Sums of a counter's points whose attributes include `match`. */
function counted(rm: ResourceMetrics[], name: string, match: Record<string, string>): number {
  let n = 0;
  for (const r of rm)
    for (const sm of r.scopeMetrics)
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue;
        for (const p of m.dataPoints) if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) n += p.value as number;
      }
  return n;
}

describe('lock observability: spans and metrics of every lock call', () => {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  let app: INestApplication;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    app = await startLockApp('lock-signals', [{ name: 'locks', type: 'lock.redis', metadata: { redisHost: '127.0.0.1:6379', keyPrefix: 'name' } }]);
  });
  afterAll(async () => {
    await app?.close();
    await reader.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
  });

  it('a lock/<store>/<op> CLIENT span per call inside a trace, and nest_dapr_component_lock_* by operation and success', async () => {
    const lock = app.get(LockService);
    const resource = `sig-${Date.now()}`;
    const parent = trace.getTracer('test').startSpan('job');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await lock.lock('locks', resource, 'a', 10);
      await lock.lock('locks', resource, 'b', 10);
      await lock.unlock('locks', resource, 'a');
    });
    parent.end();
    const lockSpans = spans.getFinishedSpans().filter((s) => s.name.startsWith('lock/'));
    expect(lockSpans.map((s) => s.name)).toEqual(['lock/locks/try_lock', 'lock/locks/try_lock', 'lock/locks/unlock']);
    for (const s of lockSpans) {
      expect(s.kind).toBe(SpanKind.CLIENT);
      expect(s.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(s.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(s.attributes).toMatchObject({ 'db.system': 'redis', 'dapr.api': 'lock', 'dapr.component.name': 'locks', 'dapr.component.type': 'lock.redis' });
      expect(s.status.code).not.toBe(SpanStatusCode.ERROR);
    }

    // A request refused before the store (as daprd refuses it) reaches no component: no span, no count.
    await expect(lock.lock('locks', 'x||y', 'a', 10)).rejects.toThrow();
    expect(spans.getFinishedSpans().filter((s) => s.name.startsWith('lock/'))).toHaveLength(3);

    const { resourceMetrics } = await reader.collect();
    const base = { app_id: 'lock-signals', component: 'locks' };
    expect(counted([resourceMetrics], 'nest_dapr_component_lock_count', { ...base, operation: 'try_lock', success: 'true' })).toBe(2);
    expect(counted([resourceMetrics], 'nest_dapr_component_lock_count', { ...base, operation: 'unlock', success: 'true' })).toBe(1);
  });
});
