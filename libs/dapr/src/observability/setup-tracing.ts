import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The shape of an OpenTelemetry `SpanProcessor`, declared here so that the
 * published types do not depend on the SDK packages (optional peers an app
 * only installs when it calls setupTracing). Any SDK span processor fits.
 */
export interface TracingSpanProcessor {
  onStart(span: unknown, parentContext: unknown): void;
  onEnd(span: unknown): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The parts of the OpenTelemetry NodeSDK that a caller of setupTracing uses. */
export interface TracingSdk {
  shutdown(): Promise<void>;
}

export interface SetupTracingOptions {
  /** `service.name`; default env OTEL_SERVICE_NAME, then APP_ID, then `nest-dapr-app`. */
  serviceName?: string;
  /**
   * Where spans go: `otlp` (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT or
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), `console`, or `none`. Default: env
   * OTEL_TRACES_EXPORTER, else `otlp` when an OTLP endpoint is set, else `console`.
   */
  exporter?: 'otlp' | 'console' | 'none';
  /**
   * Dapr's `samplingRate` (0..1), applied as ParentBased(TraceIdRatio). Default:
   * env DAPR_TRACING_SAMPLING_RATE, else 1 when an OTLP endpoint is set, else 1e-4 (Dapr's default).
   */
  samplingRate?: number;
  /** Extra span processors (e.g. an in-memory exporter in tests). */
  spanProcessors?: TracingSpanProcessor[];
  /** Registers instrumentation-http and instrumentation-nestjs-core (default true). */
  autoInstrumentation?: boolean;
}

export interface TracingHandle {
  /** The started NodeSDK (typed structurally; cast to NodeSDK from @opentelemetry/sdk-node for more). */
  sdk: TracingSdk;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for an application: W3C propagation, an
 * AsyncLocalStorage context manager, instrumentation-http and
 * instrumentation-nestjs-core (a no-op on Nest 12, active on 11, so the same
 * set-up serves both), and an OTLP or console exporter chosen by env. Call it
 * first thing in `main.ts`, before importing the app module, so that `http` is
 * patched. The SDK packages are dev/peer dependencies and are only loaded here.
 */
export function setupTracing(options: SetupTracingOptions = {}): TracingHandle {
   
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const base = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
   
  const env = process.env;
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporterKind = options.exporter ?? envExporter(env.OTEL_TRACES_EXPORTER) ?? (otlpEndpoint ? 'otlp' : 'console');
  const rate = options.samplingRate ?? parseRate(env.DAPR_TRACING_SAMPLING_RATE) ?? (otlpEndpoint ? 1 : 1e-4);
  const sampler: Sampler = new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(rate) });

  const processors = [...(options.spanProcessors ?? [])] as SpanProcessor[];
  const exporter = createExporter(exporterKind, base);
  if (exporter) {
    processors.push(exporterKind === 'console' ? new base.SimpleSpanProcessor(exporter) : new base.BatchSpanProcessor(exporter));
  }

  const sdk = new Sdk({
    serviceName: options.serviceName ?? env.OTEL_SERVICE_NAME ?? env.APP_ID ?? 'nest-dapr-app',
    sampler,
    spanProcessors: processors,
    instrumentations: options.autoInstrumentation === false ? [] : loadInstrumentations(),
  });
  sdk.start();
  return { sdk, shutdown: () => sdk.shutdown() };
}

function createExporter(kind: string, base: typeof import('@opentelemetry/sdk-trace-base')): SpanExporter | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'console') return new base.ConsoleSpanExporter();
   
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as {
    OTLPTraceExporter: new () => SpanExporter;
  };
  return new OTLPTraceExporter();
}

function loadInstrumentations() {
   
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
   
  return [new HttpInstrumentation(), new NestInstrumentation()];
}

function envExporter(v: string | undefined): SetupTracingOptions['exporter'] | undefined {
  const t = v?.split(',')[0]?.trim().toLowerCase();
  return t === 'otlp' || t === 'console' || t === 'none' ? t : undefined;
}

function parseRate(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}
