/** Observability: spans, metrics, health and log correlation (see README "Observability"). */
export * from './trace-context';
export * from './dapr-tracer';
export * from './dapr-metrics';
