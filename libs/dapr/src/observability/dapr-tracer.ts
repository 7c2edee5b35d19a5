import { Injectable } from '@nestjs/common';
import {
  context,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  TraceFlags,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { currentTraceIds, extractTraceContext, randomSpanContext, writeTraceHeaders, type TraceCarrier } from './trace-context';

/** Instrumentation scope of every span the library emits. */
export const DAPR_TRACER_NAME = 'nest-dapr';

/** A pub/sub span's target: the component and topic (plus what is known about the message). */
export interface MessagingSpanTarget {
  pubsub: string;
  topic: string;
  /** Component type, e.g. `pubsub.kafka`; its vendor part becomes `messaging.system`. */
  componentType?: string;
  messageId?: string;
}

/** A span together with the context that has it active (for running a handler inside it). */
export interface ActiveSpan {
  span: Span;
  context: Context;
}

/** Where a span sits in a call chain; decides what happens outside any trace (see `DaprTracer.start`). */
type SpanScope = 'leaf' | 'outbound' | 'inbound';

// One options object per kind: the unsampled path must not allocate per call.
const PRODUCER: SpanOptions = { kind: SpanKind.PRODUCER };
const CONSUMER: SpanOptions = { kind: SpanKind.CONSUMER };
const CLIENT: SpanOptions = { kind: SpanKind.CLIENT };
const SERVER: SpanOptions = { kind: SpanKind.SERVER };

/**
 * Emits nest-dapr's spans through `@opentelemetry/api` only: the application
 * owns the SDK. Without a registered tracer provider every call returns a
 * non-recording span and costs a few hundred nanoseconds; attributes are only
 * built when the span is sampled.
 *
 * Names follow Dapr (`pubsub/<topic>`, `bindings/<name>`, `CallLocal/<app>/<method>`)
 * and attributes carry both Dapr's keys (`db.system`, `db.name`, `db.statement`,
 * `messaging.destination`, `rpc.service`, `net.peer.name`, `dapr.invoke_method`)
 * and the current OpenTelemetry messaging/database/RPC semantic conventions.
 */
@Injectable()
export class DaprTracer {
  private provider?: TracerProvider;
  private cached?: Tracer;

  /** The library tracer, re-resolved if the app swaps the global provider (tests do). */
  get tracer(): Tracer {
    const provider = trace.getTracerProvider();
    if (provider !== this.provider || !this.cached) {
      this.provider = provider;
      this.cached = provider.getTracer(DAPR_TRACER_NAME);
    }
    return this.cached;
  }

  /**
   * Starts a span, short-cutting the SDK when the parent is valid but not
   * sampled: Dapr samples ParentBased, so the child could only be a
   * non-recording span; wrapping the parent's context propagates the same
   * trace (flags 00) without generating ids or asking the sampler (~8 µs → ~0.1 µs).
   * Outside any trace, `scope` decides: a `leaf` (state, output bindings) does
   * not start one; an `outbound` call (publish, invoke) always carries a trace
   * context as Dapr's does, a fresh unsampled one when no SDK could start a
   * real span; an `inbound` delivery without a parent and without an SDK has
   * nothing to record or pass on.
   */
  private start(name: string, options: SpanOptions, parent: Context, scope: SpanScope): Span {
    return this.untraced(parent, scope) ?? this.tracer.startSpan(name, options, parent);
  }

  /**
   * The span to use when no SDK span is needed, or undefined when one is (see
   * `start`). Separate from it so that a hot path builds its span name only
   * when an SDK will see it.
   */
  private untraced(parent: Context, scope: SpanScope): Span | undefined {
    const sc = trace.getSpanContext(parent);
    if (sc && hasIds(sc)) {
      if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return trace.wrapSpanContext(sc);
      return undefined;
    }
    if (scope === 'leaf') return NOT_TRACED;
    // A root without an SDK could only be the no-op tracer's invalid span: skip asking for it.
    if (!this.sdkInstalled()) return scope === 'outbound' ? trace.wrapSpanContext(randomSpanContext()) : NOT_TRACED;
    return undefined;
  }

  /** Whether the application registered a tracer provider behind the API's global proxy. */
  private sdkInstalled(): boolean {
    const provider = trace.getTracerProvider();
    return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(DAPR_TRACER_NAME) !== undefined;
  }

  /** One span per publish (kind PRODUCER), child of the active context. Inject it into the CloudEvent. */
  startProducerSpan(target: MessagingSpanTarget, parent: Context = context.active()): Span {
    const span = this.start(`pubsub/${target.topic}`, PRODUCER, parent, 'outbound');
    if (span.isRecording()) span.setAttributes(messagingAttributes(target, 'send', 'publish'));
    return span;
  }

  /**
   * One span per delivery (kind CONSUMER), parented on the CloudEvent's
   * `traceparent`/`tracestate` (a string, or a carrier holding both). Run the
   * handler inside `result.context` so that its own calls join the trace.
   */
  startConsumerSpan(
    target: MessagingSpanTarget,
    parentTraceparent?: string | TraceCarrier,
    tracestate?: string,
  ): ActiveSpan {
    const parent = carrierContext(parentTraceparent, tracestate);
    const span = this.start(`pubsub/${target.topic}`, CONSUMER, parent, 'inbound');
    if (span.isRecording()) span.setAttributes(messagingAttributes(target, 'process', 'process'));
    return { span, context: activeContext(parent, span) };
  }

  /**
   * A state operation span (kind CLIENT). `operation` uses Dapr's metric values:
   * get, set, delete, bulk_get, bulk_set, bulk_delete, transaction, query.
   */
  startStateSpan(store: string, operation: string, componentType?: string, parent: Context = context.active()): Span {
    // The most frequent span: its name is only built when an SDK records it.
    const untraced = this.untraced(parent, 'leaf');
    if (untraced) return untraced;
    const span = this.tracer.startSpan(`state/${store}/${operation}`, CLIENT, parent);
    if (span.isRecording()) {
      span.setAttributes({
        'db.system': vendorOf(componentType) ?? 'state',
        'db.name': store,
        'db.namespace': store,
        'db.statement': operation,
        'db.operation.name': operation,
        'dapr.api': 'state',
        'dapr.component.name': store,
        ...(componentType ? { 'dapr.component.type': componentType } : {}),
      });
    }
    return span;
  }

  /** Runs `fn` inside a state span and ends it (recording the error, if any). */
  async withStateSpan<T>(store: string, operation: string, fn: () => Promise<T>, componentType?: string): Promise<T> {
    const span = this.startStateSpan(store, operation, componentType);
    try {
      // A state call is a leaf: only make the span current when it is sampled
      // (so that e.g. client instrumentation nests under it); skip the
      // AsyncLocalStorage switch otherwise.
      const result = span.isRecording()
        ? await context.with(trace.setSpan(context.active(), span), fn)
        : await fn();
      span.end();
      return result;
    } catch (err) {
      this.endSpan(span, err);
      throw err;
    }
  }

  /** An output binding call (kind CLIENT), named like Dapr's `bindings/<name>`. */
  startOutputBindingSpan(name: string, operation: string, componentType?: string, parent: Context = context.active()): Span {
    const span = this.start(`bindings/${name}`, CLIENT, parent, 'leaf');
    if (span.isRecording()) {
      span.setAttributes({
        'db.system': 'bindings',
        'db.name': name,
        'db.statement': operation,
        'db.operation.name': operation,
        'dapr.api': 'bindings',
        'dapr.component.name': name,
        ...(componentType ? { 'dapr.component.type': componentType } : {}),
      });
    }
    return span;
  }

  /** A lock call (kind CLIENT) named `lock/<store>/<operation>`, `operation` try_lock or unlock. */
  startLockSpan(store: string, operation: string, componentType?: string, parent: Context = context.active()): Span {
    const span = this.start(`lock/${store}/${operation}`, CLIENT, parent, 'leaf');
    if (span.isRecording()) {
      span.setAttributes({
        'db.system': vendorOf(componentType) ?? 'lock',
        'db.name': store,
        'db.operation.name': operation,
        'dapr.api': 'lock',
        'dapr.component.name': store,
        ...(componentType ? { 'dapr.component.type': componentType } : {}),
      });
    }
    return span;
  }

  /** An input binding delivery (kind CONSUMER), parented on `traceparent` in the event metadata if any. */
  startInputBindingSpan(name: string, carrier?: TraceCarrier, componentType?: string): ActiveSpan {
    const parent = carrierContext(carrier);
    const span = this.start(`bindings/${name}`, CONSUMER, parent, 'inbound');
    if (span.isRecording()) {
      span.setAttributes({
        'messaging.system': 'bindings',
        'messaging.destination.name': name,
        'messaging.operation.type': 'process',
        'dapr.api': 'bindings',
        'dapr.component.name': name,
        ...(componentType ? { 'dapr.component.type': componentType } : {}),
      });
    }
    return { span, context: activeContext(parent, span) };
  }

  /** A configuration store call (kind CLIENT): `configuration/<store>/<operation>` (get, subscribe, unsubscribe). */
  startConfigurationSpan(store: string, operation: string, componentType?: string, parent: Context = context.active()): Span {
    const span = this.start(`configuration/${store}/${operation}`, CLIENT, parent, 'leaf');
    if (span.isRecording()) span.setAttributes(configurationAttributes(store, operation, componentType));
    return span;
  }

  /** A configuration update delivered to a handler (kind CONSUMER): `configuration/<store>/update`. */
  startConfigurationUpdateSpan(store: string, componentType?: string): ActiveSpan {
    const parent = context.active();
    const span = this.start(`configuration/${store}/update`, CONSUMER, parent, 'inbound');
    if (span.isRecording()) span.setAttributes(configurationAttributes(store, 'update', componentType));
    return { span, context: activeContext(parent, span) };
  }

  /** A service invocation from this app (kind CLIENT). Inject it into the request headers. */
  startInvocationSpan(appId: string, method: string, httpMethod?: string, parent: Context = context.active()): Span {
    const span = this.start(`CallLocal/${appId}/${method}`, CLIENT, parent, 'outbound');
    if (span.isRecording()) span.setAttributes(invocationAttributes(appId, method, httpMethod));
    return span;
  }

  /** The server side of an invocation (kind SERVER), parented on the caller's headers. */
  startServerInvocationSpan(appId: string, method: string, headers?: TraceCarrier, httpMethod?: string): ActiveSpan {
    const parent = carrierContext(headers);
    const span = this.start(`CallLocal/${appId}/${method}`, SERVER, parent, 'inbound');
    if (span.isRecording()) span.setAttributes(invocationAttributes(appId, method, httpMethod));
    return { span, context: activeContext(parent, span) };
  }

  /** An incoming request that is not an invocation (kind SERVER), parented on its `traceparent` header. */
  startServerSpan(name: string, headers?: TraceCarrier, httpMethod?: string): ActiveSpan {
    const parent = carrierContext(headers);
    const span = this.start(name, SERVER, parent, 'inbound');
    if (span.isRecording() && httpMethod) span.setAttribute('http.request.method', httpMethod);
    return { span, context: activeContext(parent, span) };
  }

  /** Runs `fn` with `span` (or an ActiveSpan's context) as the active context. */
  runInSpan<T>(target: Span | ActiveSpan, fn: () => T): T {
    const ctx = 'context' in target && 'span' in target ? target.context : trace.setSpan(context.active(), target as Span);
    return context.with(ctx, fn);
  }

  /**
   * Writes `traceparent`/`tracestate` of `from` (a span or context; default the
   * active context) into `headers` and returns them. Writes nothing when there
   * is no valid span context.
   */
  injectTraceContext<C extends Record<string, string>>(headers: C, from?: Span | Context): C {
    const span = from === undefined ? trace.getSpan(context.active()) : isSpan(from) ? from : trace.getSpan(from);
    return writeTraceHeaders(headers, span?.spanContext());
  }

  /** Reads `traceparent`/`tracestate` from headers, CloudEvent fields or binding metadata. */
  extractTraceContext(carrier: TraceCarrier | undefined): Context {
    return extractTraceContext(carrier, ROOT_CONTEXT);
  }

  /** `traceparent` of a span, if it has a valid context. */
  traceparentOf(span: Span): string | undefined {
    return writeTraceHeaders({} as Record<string, string>, span.spanContext()).traceparent;
  }

  /** Ends a span; with an error, records it and sets the status to ERROR. */
  endSpan(span: Span, error?: unknown, attributes?: Attributes): void {
    if (span.isRecording()) {
      if (attributes) span.setAttributes(attributes);
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
    }
    span.end();
  }

  /** Trace and span ids of the active span, for log correlation. */
  currentIds(): { traceId: string; spanId: string } | undefined {
    return currentTraceIds();
  }
}

/** Returned for leaf calls outside any trace: records nothing, propagates nothing. */
const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Ids are validated where span contexts are made (our traceparent parser, the
 * SDK); here only the all-zero "invalid" ids need ruling out — cheaper than
 * isSpanContextValid's regexes on a per-message path.
 */
function hasIds(sc: SpanContext): boolean {
  return sc.traceId !== INVALID_SPAN_CONTEXT.traceId && sc.spanId !== INVALID_SPAN_CONTEXT.spanId && sc.traceId.length === 32;
}

/** The context with `span` active; a pass-through span is already the parent's, so the parent context serves. */
function activeContext(parent: Context, span: Span): Context {
  return trace.getSpanContext(parent) === span.spanContext() ? parent : trace.setSpan(parent, span);
}

function carrierContext(parent: string | TraceCarrier | undefined, tracestate?: string): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  if (typeof parent === 'string') return extractTraceContext({ traceparent: parent, tracestate }, ROOT_CONTEXT);
  return extractTraceContext(parent, ROOT_CONTEXT);
}

function isSpan(v: Span | Context): v is Span {
  return typeof (v as Span).spanContext === 'function';
}

/** `pubsub.kafka` → `kafka`, `state.azure.cosmosdb` → `azure.cosmosdb`. */
function vendorOf(componentType?: string): string | undefined {
  if (!componentType) return undefined;
  const dot = componentType.indexOf('.');
  return dot < 0 ? componentType : componentType.slice(dot + 1);
}

function messagingAttributes(t: MessagingSpanTarget, type: string, name: string): Attributes {
  const attrs: Attributes = {
    'messaging.system': vendorOf(t.componentType) ?? 'pubsub',
    'messaging.destination': t.topic,
    'messaging.destination_kind': 'topic',
    'messaging.destination.name': t.topic,
    'messaging.operation.type': type,
    'messaging.operation.name': name,
    'dapr.api': 'pubsub',
    'dapr.component.name': t.pubsub,
  };
  if (t.componentType) attrs['dapr.component.type'] = t.componentType;
  if (t.messageId) attrs['messaging.message.id'] = t.messageId;
  return attrs;
}

function invocationAttributes(appId: string, method: string, httpMethod?: string): Attributes {
  const attrs: Attributes = {
    'rpc.system': 'dapr',
    'rpc.service': 'ServiceInvocation',
    'rpc.method': method,
    'net.peer.name': appId,
    'server.address': appId,
    'dapr.invoke_method': method,
    'dapr.api': 'invoke',
  };
  if (httpMethod) attrs['http.request.method'] = httpMethod;
  return attrs;
}

function configurationAttributes(store: string, operation: string, componentType?: string): Attributes {
  return {
    'db.system': vendorOf(componentType) ?? 'configuration',
    'db.name': store,
    'db.operation.name': operation,
    'dapr.api': 'configuration',
    'dapr.component.name': store,
    ...(componentType ? { 'dapr.component.type': componentType } : {}),
  };
}
