/**
 * Tracing overhead, same process, same run: "off" (no OpenTelemetry SDK
 * registered), "unsampled" (SDK + AsyncLocalStorage context manager registered,
 * sampler AlwaysOff — Dapr's samplingRate "0") and "sampled" (AlwaysOn, a
 * BatchSpanProcessor with a no-op exporter), on
 *   1. state get   — StateService.get on state.in-memory, 16 in flight;
 *   2. publish→deliver — PubSubService.publish on pubsub.in-memory, each op
 *      resolved when the @Subscribe handler has received that message, 16 in flight.
 * Modes rotate every round (A B C, B C A, C A B ...); reported: median
 * ops/s, CPU µs/op, and the median of per-round ratios against "off".
 *
 *   npm run bench:observability            (BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_INFLIGHT to tune)
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { DaprModule, PubSubService, StateService, Subscribe } from 'nest-dapr';
import { DaprTracer } from '../libs/dapr/src/observability/dapr-tracer';

const daprTracer = new DaprTracer();

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 16);

type Mode = 'bare' | 'off' | 'unsampled' | 'sampled';
const MODES: Mode[] = ['bare', 'off', 'unsampled', 'sampled'];

const waiting = new Map<number, () => void>();

@Injectable()
class BenchSubscriber {
  @Subscribe({ pubsub: 'bus', topic: 'bench' })
  onEvent(data: { n: number }) {
    const done = waiting.get(data.n);
    if (done) {
      waiting.delete(data.n);
      done();
    }
  }
}

@Module({
  imports: [
    DaprModule.forRoot({
      appId: 'obs-bench',
      components: [
        { name: 'store', type: 'state.in-memory' },
        { name: 'bus', type: 'pubsub.in-memory' },
      ],
    }),
  ],
  providers: [BenchSubscriber],
})
class BenchModule {}

class NoopExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], cb: (r: { code: number }) => void): void {
    this.exported += spans.length;
    cb({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

const contextManager = new AsyncLocalStorageContextManager();
const exporter = new NoopExporter();
const unsampledProvider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [] });
const sampledProvider = new BasicTracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65536, maxExportBatchSize: 2048, scheduledDelayMillis: 200 })],
});

/**
 * bare: no OpenTelemetry at all. off: the app registered the async context
 * manager (as any app with the SDK has) but no tracer provider — the
 * baseline for the library's own cost, since AsyncLocalStorage slows every
 * promise in the process whether or not nest-dapr traces. unsampled/sampled:
 * a tracer provider with AlwaysOff/AlwaysOn.
 */
function setMode(mode: Mode): void {
  trace.disable();
  context.disable();
  if (mode === 'bare') return;
  context.setGlobalContextManager(contextManager.enable());
  if (mode === 'off') return;
  trace.setGlobalTracerProvider(mode === 'sampled' ? sampledProvider : unsampledProvider);
}

interface Sample {
  opsPerSec: number;
  cpuUsPerOp: number;
}

async function measure(op: (i: number) => Promise<unknown>, ms: number): Promise<Sample> {
  let next = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < end) {
      await op(next++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: done / seconds, cpuUsPerOp: (cpu.user + cpu.system) / done };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs a round inside one request-like root span (started once, not per op),
 * as the operations of a real app run inside an HTTP or handler span: in
 * "unsampled" that root is an unsampled parent, in "sampled" a sampled one.
 */
async function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  const root = trace.getTracer('bench').startSpan('request');
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, root), fn);
  } finally {
    root.end();
  }
}

async function compare(name: string, op: (i: number) => Promise<unknown>) {
  for (const mode of MODES) {
    setMode(mode);
    await inRequest(() => measure(op, Math.min(1000, ROUND_MS)));
  }
  const results: Record<Mode, Sample[]> = { bare: [], off: [], unsampled: [], sampled: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]);
    for (const mode of order) {
      setMode(mode);
      results[mode].push(await inRequest(() => measure(op, ROUND_MS)));
    }
    console.log(
      `${name} round ${r + 1}: ` +
        MODES.map((m) => `${m} ${results[m][r].opsPerSec.toFixed(0)} ops/s`).join(', '),
    );
  }
  const ratio = (m: Mode) => median(results[m].map((s, i) => s.opsPerSec / results.off[i].opsPerSec));
  const worst = (m: Mode) => Math.min(...results[m].map((s, i) => s.opsPerSec / results.off[i].opsPerSec));
  const row = (m: Mode) => ({
    opsPerSec: Math.round(median(results[m].map((s) => s.opsPerSec))),
    cpuUsPerOp: Number(median(results[m].map((s) => s.cpuUsPerOp)).toFixed(2)),
    ratioVsOff: Number(ratio(m).toFixed(3)),
    worstRound: Number(worst(m).toFixed(3)),
  });
  return { name, bare: row('bare'), off: row('off'), unsampled: row('unsampled'), sampled: row('sampled') };
}

/**
 * The library's own per-operation tracing work, without any I/O: a producer
 * span + traceparent injection, and a consumer span parented on it with the
 * handler run inside its context. Nanoseconds per publish→deliver pair.
 */
async function spanMicroCost(mode: Mode, iterations = 200_000): Promise<number> {
  setMode(mode);
  const target = { pubsub: 'bus', topic: 'orders' };
  const handler = () => undefined;
  const once = () => {
    const producer = daprTracer.startProducerSpan(target);
    const headers = daprTracer.injectTraceContext({} as Record<string, string>, producer);
    producer.end();
    const consumer = daprTracer.startConsumerSpan(target, headers.traceparent, headers.tracestate);
    daprTracer.runInSpan(consumer, handler);
    consumer.span.end();
  };
  // Inside a request-like root span, as in a real app (unsampled root in "unsampled").
  return inRequest(async () => {
    for (let i = 0; i < 20_000; i++) once();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) once();
    return Number(process.hrtime.bigint() - t0) / iterations;
  });
}

async function main() {
  if (process.env.BENCH_MICRO_ONLY) {
    const micro: Record<string, number> = {};
    for (const mode of MODES) micro[mode] = Math.round(await spanMicroCost(mode));
    console.log(`span API cost per publish+deliver pair (ns): ${JSON.stringify(micro)}`);
    return;
  }
  // First, before any sampled spans are queued in the background exporter.
  const micro: Record<string, number> = {};
  for (const mode of MODES) micro[mode] = Math.round(await spanMicroCost(mode));
  console.log(`span API cost per publish+deliver pair (ns): ${JSON.stringify(micro)}`);

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  await app.init();
  const state = app.get(StateService);
  const pubsub = app.get(PubSubService);
  const value = { id: 'order-1', items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i })), note: 'x'.repeat(600) };
  for (let i = 0; i < 1000; i++) await state.save('store', { key: `k${i}`, value });

  const stateGet = await compare('state.get (in-memory)', (i) => state.get('store', `k${i % 1000}`));
  const publishDeliver = await compare('publish→deliver (in-memory)', (i) => {
    const delivered = new Promise<void>((resolve) => waiting.set(i, resolve));
    return pubsub.publish('bus', 'bench', { n: i, value }).then(() => delivered);
  });

  setMode('off');
  await app.close();
  await sampledProvider.shutdown();
  const out = { node: process.version, rounds: ROUNDS, roundMs: ROUND_MS, inflight: INFLIGHT, spansExported: exporter.exported, spanApiNsPerPair: micro, results: [stateGet, publishDeliver] };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
