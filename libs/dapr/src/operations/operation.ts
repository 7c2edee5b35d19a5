import type { Span } from '@opentelemetry/api';
import type { ActiveSpan } from '../observability/dapr-tracer';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';

/**
 * One kind of outbound call on one target — a `get` on store `orders`, a
 * publish on `pubsub/orders`, an invocation of app `checkout` — described once
 * when the block resolves the target and reused for every call, so that the
 * success path allocates nothing per call beyond what the call itself needs.
 * `D` is the per-call detail the hooks may read (a storage key, the call).
 */
export interface OutboundOperation<D = undefined> {
  /** The target's resiliency policy; it wraps every attempt. Without one the call runs once. */
  readonly policy?: ResiliencyPolicy;
  /**
   * Without a policy: a built-in retry that takes over only after the first
   * attempt failed (invocation's, which never duplicates a POST). The first
   * attempt then costs nothing extra.
   */
  retryAfterFailure?<R>(first: unknown, attempt: (signal: AbortSignal) => Promise<R>, detail: D): Promise<R>;
  /** Starts the call's span as a child of the active context; without it the call has no span of its own. */
  startSpan?(detail: D): Span;
  /**
   * The span is a leaf (a state call): outside a trace it starts none and
   * carries nothing outward. While no OpenTelemetry is registered in the
   * process, the runner then skips the span and metrics checks altogether.
   */
  readonly leaf?: boolean;
  /** Called before the first attempt when metrics are recorded (e.g. `req_sent_total`). */
  begin?(detail: D): void;
  /** Records the call's metrics once it settled; `error` is the typed error, if any. */
  record?(error: Error | undefined, elapsedMs: number, detail: D): void;
  /** The block's typed error for a failure; a `DaprError` usually passes through unchanged. */
  toError(err: unknown, detail: D): Error;
}

/**
 * One kind of delivery into the app — an event of topic `orders`, an event of
 * input binding `cron` — described once per subscription or binding.
 */
export interface InboundOperation<D = undefined> {
  /** The inbound policy: the Resiliency spec's, or the built-in one every delivery path shares. */
  readonly policy: ResiliencyPolicy;
  /** Starts the delivery's span, parented on the trace context the message carries. */
  startSpan(detail: D): ActiveSpan;
  /** Records the delivery's metrics once the handler settled. */
  record?(error: unknown, elapsedMs: number, detail: D): void;
}
