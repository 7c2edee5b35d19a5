/** Observability: spans, metrics, health and log correlation (see README "Observability"). */
export * from './trace-context';
export * from './dapr-tracer';
export * from './dapr-metrics';
export * from './dapr-logger';
export * from './dapr-health.service';
export * from './dapr-health.indicator';
export * from './dapr-health.controller';
export * from './dapr-health.module';
export { setupTracing, type SetupTracingOptions, type TracingHandle } from './setup-tracing';
export * from './dapr-http-trace.interceptor';
