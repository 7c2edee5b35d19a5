import { setupTracing, type TracingHandle } from 'nest-dapr';

/**
 * Turns OpenTelemetry on for a sample app when the environment asks for it
 * (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
 * OTEL_TRACES_EXPORTER=console). Must run before the app module is loaded so
 * that instrumentation-http sees the HTTP server; main.ts calls it first.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): TracingHandle | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !env.OTEL_TRACES_EXPORTER) return undefined;
  const handle = setupTracing({ serviceName });
  // Flush what is buffered when the app stops (Nest's shutdown hooks run first on SIGTERM).
  const flush = () => void handle.shutdown().catch(() => undefined);
  process.once('beforeExit', flush);
  return handle;
}
