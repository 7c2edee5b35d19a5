import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { context as otelContext, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { ComponentRuntime } from '../runtime/component-runtime';
import { DaprTracer } from './dapr-tracer';

interface HttpRequestLike {
  method?: string;
  url?: string;
  path?: string;
  route?: { path?: string };
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Headers the invocation client sets (Dapr's `dapr-callee-app-id` / `dapr-caller-app-id`). The
 * callee header is checked first: the access guard removes an unverifiable caller claim.
 */
const INVOCATION_HEADERS = ['dapr-callee-app-id', 'dapr-caller-app-id'];

/**
 * Makes incoming HTTP requests — service invocations in particular — join the
 * caller's trace without instrumentation-http (which does not cover every
 * setup, and on Nest 12 the Nest instrumentation is a no-op): when no span is
 * active yet, a SERVER span is started from the request's `traceparent` /
 * `tracestate` (`CallLocal/<appId>/<path>` for invocations, `<METHOD> <route>`
 * otherwise) and the handler runs inside it, so its state calls, publishes and
 * invocations are children. When instrumentation-http already made a span,
 * this interceptor steps aside.
 */
@Injectable()
export class DaprHttpTraceInterceptor implements NestInterceptor {
  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly tracer: DaprTracer,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const active = trace.getSpanContext(otelContext.active());
    if (active && active.traceId !== '00000000000000000000000000000000') return next.handle();
    const req = ctx.switchToHttp().getRequest<HttpRequestLike>();
    const path = (req.path ?? req.url ?? '/').split('?')[0];
    const isInvocation = INVOCATION_HEADERS.some((h) => req.headers[h] !== undefined);
    const { span, context } =
      isInvocation
        ? this.tracer.startServerInvocationSpan(this.runtime.appId, path.replace(/^\/+/, ''), req.headers, req.method)
        : this.tracer.startServerSpan(`${req.method ?? 'GET'} ${req.route?.path ?? path}`, req.headers, req.method);
    // Nothing to record and no trace to pass on (no SDK, no traceparent): stay out of the way.
    if (!span.isRecording() && span.spanContext().traceId === '00000000000000000000000000000000') return next.handle();
    return new Observable((subscriber) =>
      otelContext.with(context, () =>
        next.handle().subscribe({
          next: (v) => subscriber.next(v),
          error: (err: unknown) => {
            const status = (err as { getStatus?: () => number })?.getStatus?.();
            this.tracer.endSpan(span, status !== undefined && status < 500 ? undefined : err, status ? { 'http.response.status_code': status } : undefined);
            subscriber.error(err);
          },
          complete: () => {
            const res = ctx.switchToHttp().getResponse<{ statusCode?: number }>();
            this.tracer.endSpan(span, undefined, res?.statusCode ? { 'http.response.status_code': res.statusCode } : undefined);
            subscriber.complete();
          },
        }),
      ),
    );
  }
}
