import { Injectable } from '@nestjs/common';
import { context, INVALID_SPAN_CONTEXT, trace, type Span } from '@opentelemetry/api';
import { DaprMetrics } from '../observability/dapr-metrics';
import { DaprTracer } from '../observability/dapr-tracer';
import { openTelemetryRegistered } from '../observability/otel-global';
import { NEVER_ABORTED } from '../resiliency/resiliency-policy';
import type { InboundOperation, OutboundOperation } from './operation';

/** The span of an operation that has none of its own: records and propagates nothing. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The one path every block operation and every delivery takes: resiliency
 * policy → span → metrics → typed error. State, pub/sub (publish and bulk
 * publish), bindings, invocation and the delivery pipelines describe their
 * calls as operations (see `operation.ts`) and run them here, so a fix or a
 * new signal lands everywhere at once.
 *
 * The success path is what the raw call costs plus: one span start (a shared
 * non-recording span when nothing traces), two clock reads only when a
 * MeterProvider is registered, and one closure only when a policy runs.
 */
@Injectable()
export class OperationRunner {
  constructor(
    readonly tracer: DaprTracer,
    readonly metrics: DaprMetrics,
  ) {}

  /**
   * Runs an outbound call: `fn` receives the span (to propagate it), the
   * policy's abort signal and the detail (so a hot path can pass a function
   * made once instead of a closure per call).
   */
  run<R, D>(op: OutboundOperation<D>, detail: D, fn: (span: Span, signal: AbortSignal, detail: D) => Promise<R>): Promise<R> {
    const plain = op.policy === undefined && op.retryAfterFailure === undefined;
    // A leaf call in a process without OpenTelemetry: no span, no timing, nothing to ask the API.
    if (plain && op.leaf === true && !openTelemetryRegistered()) return this.runPlain(op, detail, fn, NO_SPAN);
    const span = op.startSpan ? op.startSpan(detail) : NO_SPAN;
    const metered = op.record !== undefined && this.metrics.active;
    // Nothing to time, record or retry (no MeterProvider, no sampled span, no policy): the call
    // itself, with its failure turned into the typed error. The common case costs no async frame.
    if (plain && !metered && !span.isRecording()) return this.runPlain(op, detail, fn, span);
    return this.runObserved(op, detail, fn, span, metered);
  }

  private runPlain<R, D>(op: OutboundOperation<D>, detail: D, fn: (span: Span, signal: AbortSignal, detail: D) => Promise<R>, span: Span): Promise<R> {
    let call: Promise<R>;
    try {
      call = fn(span, NEVER_ABORTED, detail);
    } catch (err) {
      return Promise.reject(op.toError(err, detail));
    }
    return call.then(undefined, (err: unknown) => {
      throw op.toError(err, detail);
    });
  }

  private async runObserved<R, D>(
    op: OutboundOperation<D>,
    detail: D,
    fn: (span: Span, signal: AbortSignal, detail: D) => Promise<R>,
    span: Span,
    metered: boolean,
  ): Promise<R> {
    if (metered) op.begin?.(detail);
    const start = metered ? performance.now() : 0;
    let result: R;
    try {
      if (op.policy) result = await op.policy.execute((signal) => fn(span, signal, detail));
      else if (op.retryAfterFailure) {
        try {
          result = await fn(span, NEVER_ABORTED, detail);
        } catch (first) {
          result = await op.retryAfterFailure(first, (signal) => fn(span, signal, detail), detail);
        }
      } else result = await fn(span, NEVER_ABORTED, detail);
    } catch (err) {
      const error = op.toError(err, detail);
      this.tracer.endSpan(span, error);
      if (metered) op.record!(error, performance.now() - start, detail);
      throw error;
    }
    span.end();
    if (metered) op.record!(undefined, performance.now() - start, detail);
    return result;
  }

  /**
   * Runs a delivery into the app: the handler runs inside the delivery's span
   * (so its own calls join the trace) under the inbound policy. Failures are
   * rethrown as they are: what a failed delivery means (RETRY, dead-letter,
   * back to the source) is the pipeline's decision.
   */
  async deliver<R, D>(op: InboundOperation<D>, detail: D, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const active = op.startSpan(detail);
    const metered = op.record !== undefined && this.metrics.active;
    const start = metered ? performance.now() : 0;
    let result: R;
    try {
      result = await context.with(active.context, () => op.policy.execute(fn));
    } catch (err) {
      this.tracer.endSpan(active.span, err);
      if (metered) op.record!(err, performance.now() - start, detail);
      throw err;
    }
    active.span.end();
    if (metered) op.record!(undefined, performance.now() - start, detail);
    return result;
  }
}
