import { randomFillSync } from 'node:crypto';
import {
  context,
  createTraceState,
  INVALID_SPANID,
  INVALID_TRACEID,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/** The W3C trace headers Dapr carries in CloudEvents, invocation headers and binding metadata. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** Anything header-like: a plain record, Node's IncomingHttpHeaders, CloudEvent extensions. */
export type TraceCarrier = Record<string, unknown>;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * Formats a span context as a W3C `traceparent`. Done by hand rather than through
 * the global propagator so that the trace context still travels when the app
 * registered no SDK (Dapr passes `traceparent` through in that case too).
 */
export function formatTraceparent(sc: SpanContext): string | undefined {
  if (sc.traceId === INVALID_TRACEID || sc.spanId === INVALID_SPANID || sc.traceId.length !== 32 || sc.spanId.length !== 16) {
    return undefined;
  }
  const flags = (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00';
  return `00-${sc.traceId}-${sc.spanId}-${flags}`;
}

// Fresh ids come from a pooled random buffer: one fill per 256 span contexts, no RNG call per publish or invoke.
const ID_BYTES = 24;
const RANDOM_POOL = Buffer.allocUnsafe(ID_BYTES * 256);
let randomOffset = RANDOM_POOL.length;

/**
 * A new, unsampled span context (flags `00`) with random ids. Dapr always
 * sends a `traceparent` on invocations and publishes, even when nothing is
 * sampled, so that the logs of a call chain can be correlated; without a
 * tracer SDK this is what nest-dapr sends.
 */
export function randomSpanContext(): SpanContext {
  if (randomOffset + ID_BYTES > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  const start = randomOffset;
  randomOffset += ID_BYTES;
  return {
    traceId: RANDOM_POOL.toString('hex', start, start + 16),
    spanId: RANDOM_POOL.toString('hex', start + 16, start + ID_BYTES),
    traceFlags: TraceFlags.NONE,
  };
}

/** Parses a W3C `traceparent` (+ optional `tracestate`) into a remote span context. */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  const raw = firstString(traceparent);
  if (!raw) return undefined;
  const m = TRACEPARENT.exec(raw.trim());
  if (!m || m[1] === 'ff') return undefined;
  // Version 00 forbids trailing fields; later versions may add them.
  if (m[1] === '00' && raw.trim().length !== 55) return undefined;
  const sc: SpanContext = {
    traceId: m[2],
    spanId: m[3],
    traceFlags: parseInt(m[4], 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  // The regex already checked the hex shape; only all-zero ids are invalid.
  if (sc.traceId === INVALID_TRACEID || sc.spanId === INVALID_SPANID) return undefined;
  const state = firstString(tracestate);
  if (state) sc.traceState = createTraceState(state);
  return sc;
}

/** Reads `traceparent`/`tracestate` from a carrier into a context (root context when absent). */
export function extractTraceContext(carrier: TraceCarrier | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!carrier) return base;
  const sc = parseTraceparent(carrier.traceparent ?? carrier.Traceparent, carrier.tracestate ?? carrier.Tracestate);
  return sc ? trace.setSpanContext(base, sc) : base;
}

/** Writes `traceparent` (and `tracestate` when set) of a span context into a carrier. */
export function writeTraceHeaders<C extends Record<string, string>>(carrier: C, sc: SpanContext | undefined): C {
  if (!sc) return carrier;
  const traceparent = formatTraceparent(sc);
  if (!traceparent) return carrier;
  (carrier as Record<string, string>).traceparent = traceparent;
  const state = sc.traceState?.serialize();
  if (state) (carrier as Record<string, string>).tracestate = state;
  return carrier;
}

function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Trace and span ids of the active span (for log correlation), or undefined outside any trace. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  if (!sc || sc.traceId === INVALID_TRACEID) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}
