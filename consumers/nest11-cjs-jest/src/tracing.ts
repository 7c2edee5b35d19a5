/**
 * OpenTelemetry for this app, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
 * SDK reads the rest of its configuration from the standard OTEL_* variables).
 * main.ts imports this file first: instrumentation-nestjs-core and
 * instrumentation-http patch @nestjs/core and http when those load, so the SDK
 * must start before anything (the app module, nest-dapr) imports them.
 * nest-dapr's own spans (state, pub/sub, handlers) use @opentelemetry/api and
 * join the same traces.
 */
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { NodeSDK } from '@opentelemetry/sdk-node';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  const sdk = new NodeSDK({
    serviceName: 'orders',
    instrumentations: [new HttpInstrumentation(), new NestInstrumentation()],
  });
  sdk.start();
  // Flush buffered spans when the app stops (after Nest's shutdown hooks).
  process.once('beforeExit', () => void sdk.shutdown());
}
