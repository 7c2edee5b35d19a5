import type { Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ComponentRuntime } from '../runtime/component-runtime';
import { DaprMetrics } from './dapr-metrics';
import { DaprTracer } from './dapr-tracer';
import { DaprHealthService } from './dapr-health.service';
import { DaprHealthIndicator } from './dapr-health.indicator';
import { DaprHttpTraceInterceptor } from './dapr-http-trace.interceptor';

/** This app's tracer and metrics recorder (one of each per DaprModule instance). */
export const observabilityProviders: Provider[] = [
  DaprTracer,
  {
    provide: DaprMetrics,
    inject: [ComponentRuntime],
    useFactory: (runtime: ComponentRuntime) => new DaprMetrics(runtime.appId, runtime.options.namespace ?? ''),
  },
  DaprHealthService,
  DaprHealthIndicator,
  // Incoming HTTP requests (service invocations) continue the caller's trace.
  { provide: APP_INTERCEPTOR, useClass: DaprHttpTraceInterceptor },
];

export const observabilityExports = [DaprTracer, DaprMetrics, DaprHealthService, DaprHealthIndicator];
