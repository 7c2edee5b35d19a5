import { metrics, type Attributes, type Counter, type Histogram, type Gauge, type MeterProvider } from '@opentelemetry/api';

/** Instrumentation scope of every metric the library records. */
export const DAPR_METER_NAME = 'nest-dapr';

// Latency buckets in ms, Dapr's default distribution (pkg/diagnostics/utils).
const LATENCY_BUCKETS_MS = [
  1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800,
  1000, 2000, 5000, 10000, 20000, 50000, 100000,
];

// Byte-size buckets, Dapr's defaultSizeDistribution (pkg/diagnostics/http_monitoring.go).
const SIZE_BUCKETS_BYTES = [1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296];

/** A Dapr count + latencies pair recorded together with the same labels. */
interface Timed {
  count: Counter;
  latencies: Histogram;
}

type TimedKey = 'pubsubIngress' | 'pubsubEgress' | 'state' | 'outputBinding' | 'inputBinding' | 'lock' | 'configuration';

interface Instruments extends Record<TimedKey, Timed> {
  pubsubUndecodable: Counter;
  pubsubEgressBulkCount: Counter;
  pubsubEgressBulkEventCount: Counter;
  pubsubEgressBulkLatencies: Histogram;
  httpServerRequestCount: Counter;
  httpServerResponseCount: Counter;
  httpServerLatency: Histogram;
  httpServerRequestBytes: Histogram;
  httpServerResponseBytes: Histogram;
  httpClientSentBytes: Histogram;
  httpClientReceivedBytes: Histogram;
  httpClientRoundtripLatency: Histogram;
  httpClientCompletedCount: Counter;
  invReqSent: Counter;
  invReqRecv: Counter;
  invResSent: Counter;
  invResRecv: Counter;
  invResRecvLatency: Histogram;
  resiliencyLoaded: Counter;
  resiliencyCount: Counter;
  resiliencyActivations: Counter;
  resiliencyCbState: Gauge;
}

function createInstruments(provider: MeterProvider): Instruments {
  const m = provider.getMeter(DAPR_METER_NAME);
  const latency = (name: string, description: string) =>
    m.createHistogram(name, { description, unit: 'ms', advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS } });
  const size = (name: string, description: string) =>
    m.createHistogram(name, { description, unit: 'By', advice: { explicitBucketBoundaries: SIZE_BUCKETS_BYTES } });
  // Dapr's component views come in pairs: `<prefix>_count` and `<prefix>_latencies`.
  const timed = (prefix: string, count: string, latencies: string): Timed => ({
    count: m.createCounter(`${prefix}_count`, { description: count }),
    latencies: latency(`${prefix}_latencies`, latencies),
  });
  return {
    pubsubIngress: timed('dapr_component_pubsub_ingress', 'The number of incoming messages arriving from the pub/sub component.', 'The consuming app event processing latency.'),
    pubsubEgress: timed('dapr_component_pubsub_egress', 'The number of outgoing messages published to the pub/sub component.', 'The latency of the response from the pub/sub component.'),
    // Not a Dapr metric (Dapr has none for this): messages that could never be handled, by reason.
    pubsubUndecodable: m.createCounter('nest_dapr_pubsub_undecodable_total', {
      description: 'Messages that could not be decoded as CloudEvents (malformed or too large) and were dead-lettered or dropped.',
    }),
    pubsubEgressBulkCount: m.createCounter('dapr_component_pubsub_egress_bulk_count', {
      description: 'The number of bulk publish calls to the pub/sub component.',
    }),
    pubsubEgressBulkEventCount: m.createCounter('dapr_component_pubsub_egress_bulk_event_count', {
      description: 'The number of outgoing messages to the pub/sub component published through bulk publish API.',
    }),
    pubsubEgressBulkLatencies: latency(
      'dapr_component_pubsub_egress_bulk_latencies',
      'The latency of the response for the bulk publish call from the pub/sub component.',
    ),
    httpServerRequestCount: m.createCounter('dapr_http_server_request_count', {
      description: 'Count of HTTP requests processed by the server.',
    }),
    httpServerResponseCount: m.createCounter('dapr_http_server_response_count', { description: 'The number of HTTP responses' }),
    httpServerLatency: latency('dapr_http_server_latency', 'HTTP request end-to-end latency in server.'),
    httpServerRequestBytes: size('dapr_http_server_request_bytes', 'HTTP request body size if set as ContentLength (uncompressed) in server.'),
    httpServerResponseBytes: size('dapr_http_server_response_bytes', 'HTTP response body size (uncompressed) in server.'),
    httpClientSentBytes: size('dapr_http_client_sent_bytes', 'Total bytes sent in request body (not including headers)'),
    httpClientReceivedBytes: size(
      'dapr_http_client_received_bytes',
      'Total bytes received in response bodies (not including headers but including error responses with bodies)',
    ),
    httpClientRoundtripLatency: latency(
      'dapr_http_client_roundtrip_latency',
      'Time between first byte of request headers sent to last byte of response received, or terminal error',
    ),
    httpClientCompletedCount: m.createCounter('dapr_http_client_completed_count', { description: 'Count of completed requests' }),
    state: timed('dapr_component_state', 'The number of operations performed on the state component.', 'The latency of the operations performed on the state component.'),
    outputBinding: timed('dapr_component_output_binding', 'The number of operations invoked on the output binding component.', 'The latency of the output binding component.'),
    inputBinding: timed('dapr_component_input_binding', 'The number of incoming events arriving from the input binding component.', 'The triggering app event processing latency.'),
    // Not a Dapr metric (daprd records none for locks): the same pair, with the component views' labels.
    lock: timed('nest_dapr_component_lock', 'The number of operations performed on the lock component.', 'The latency of the operations performed on the lock component.'),
    configuration: timed('dapr_component_configuration', 'The number of operations performed on the configuration component.', 'The latency of the response from the configuration component.'),
    invReqSent: m.createCounter('dapr_runtime_service_invocation_req_sent_total', {
      description: 'The number of requests sent via service invocation.',
    }),
    invReqRecv: m.createCounter('dapr_runtime_service_invocation_req_recv_total', {
      description: 'The number of requests received via service invocation.',
    }),
    invResSent: m.createCounter('dapr_runtime_service_invocation_res_sent_total', {
      description: 'The number of responses sent via service invocation.',
    }),
    invResRecv: m.createCounter('dapr_runtime_service_invocation_res_recv_total', {
      description: 'The number of responses received via service invocation.',
    }),
    invResRecvLatency: latency(
      'dapr_runtime_service_invocation_res_recv_latency_ms',
      'The latency of service invocation responses.',
    ),
    resiliencyLoaded: m.createCounter('dapr_resiliency_loaded', { description: 'Number of resiliency policies loaded.' }),
    resiliencyCount: m.createCounter('dapr_resiliency_count', { description: 'Number of times a resiliency policy has been applied.' }),
    resiliencyActivations: m.createCounter('dapr_resiliency_activations_total', {
      description: 'Number of times a resiliency policy has been activated in a building block after a failure or timeout.',
    }),
    resiliencyCbState: m.createGauge('dapr_resiliency_cb_state', {
      description: "A resiliency policy's circuit breaker state: 1 on the series whose status label is the current state, 0 on the others.",
    }),
  };
}

export type PubSubProcessStatus = 'success' | 'retry' | 'drop';
export type ResiliencyPolicyKind = 'retry' | 'timeout' | 'circuitbreaker';
export type ResiliencyFlowDirection = 'inbound' | 'outbound';
export type CircuitBreakerState = 'closed' | 'half-open' | 'open' | 'unknown';

/**
 * Records Dapr's metrics (names and labels of `dapr/pkg/diagnostics`) through
 * the OpenTelemetry metrics API for one app. Every method is a no-op until the
 * application registers a MeterProvider. Latencies are in milliseconds.
 */
export class DaprMetrics {
  // This app's instruments, made from the global MeterProvider the first time
  // they are needed and again when the app swaps the provider (tests do). The
  // metrics API has no proxy provider (unlike tracing), hence the check.
  private provider?: MeterProvider;
  private cached?: Instruments;

  constructor(
    readonly appId: string,
    readonly namespace = '',
  ) {}

  /** False until the application registers a MeterProvider: hot paths skip their timing then. */
  get active(): boolean {
    return this.instruments() !== undefined;
  }

  /** The instruments of the current global meter provider, or undefined when the app registered none. */
  private instruments(): Instruments | undefined {
    const provider = metrics.getMeterProvider();
    if (provider === this.provider) return this.cached;
    this.provider = provider;
    this.cached = provider.constructor.name === 'NoopMeterProvider' ? undefined : createInstruments(provider);
    return this.cached;
  }

  private base(component: string): Attributes {
    return { app_id: this.appId, component, namespace: this.namespace };
  }

  /** A delivery settled: `process_status` success | retry | drop; `status` is the HTTP-like status Dapr tags. */
  pubsubIngress(component: string, topic: string, processStatus: PubSubProcessStatus, elapsedMs: number): void {
    this.timed('pubsubIngress', elapsedMs, { ...this.base(component), topic, process_status: processStatus, status: processStatus });
  }

  /** A message that can never be handled: `reason` malformed | too_large. */
  pubsubUndecodable(component: string, topic: string, reason: 'malformed' | 'too_large'): void {
    this.instruments()?.pubsubUndecodable.add(1, { ...this.base(component), topic, reason });
  }

  pubsubEgress(component: string, topic: string, success: boolean, elapsedMs: number): void {
    this.timed('pubsubEgress', elapsedMs, { ...this.base(component), topic, success: String(success) });
  }

  /**
   * A bulk publish settled (Dapr's BulkPubsubEgressEvent): `success` only when
   * every entry went out; `published` entries are added to the event count.
   */
  pubsubEgressBulk(component: string, topic: string, success: boolean, published: number, elapsedMs: number): void {
    const i = this.instruments();
    if (!i) return;
    const attrs = { ...this.base(component), topic, success: String(success) };
    i.pubsubEgressBulkCount.add(1, attrs);
    if (published > 0) i.pubsubEgressBulkEventCount.add(published, { ...this.base(component), topic, success: 'true' });
    i.pubsubEgressBulkLatencies.record(elapsedMs, attrs);
  }

  /**
   * An HTTP request this app made as Dapr's HTTP client does (service
   * invocation): `dapr_http_client_*` with Dapr's labels `app_id`, `method`,
   * `path`, `status` (`status` is the HTTP status, or 500 for a transport
   * error as Dapr records it). `path` is the request path without the query.
   */
  httpClientRequest(method: string, path: string, status: number, sentBytes: number, receivedBytes: number, elapsedMs: number): void {
    const i = this.instruments();
    if (!i) return;
    const label = httpMetricPath(path);
    const verb = httpMetricMethod(method);
    i.httpClientSentBytes.record(sentBytes, { app_id: this.appId, method: verb, path: label });
    const attrs = { app_id: this.appId, method: verb, path: label, status: String(status) };
    i.httpClientCompletedCount.add(1, attrs);
    i.httpClientRoundtripLatency.record(elapsedMs, attrs);
    i.httpClientReceivedBytes.record(receivedBytes, { app_id: this.appId });
  }

  /**
   * An HTTP request this app served as Dapr's HTTP server records it (the
   * service invocations it receives): `dapr_http_server_*`, same labels.
   */
  httpServerRequest(method: string, path: string, status: number, requestBytes: number, responseBytes: number, elapsedMs: number): void {
    const i = this.instruments();
    if (!i) return;
    const attrs = { app_id: this.appId, method: httpMetricMethod(method), path: httpMetricPath(path), status: String(status) };
    i.httpServerRequestCount.add(1, attrs);
    i.httpServerLatency.record(elapsedMs, attrs);
    i.httpServerResponseCount.add(1, attrs);
    i.httpServerRequestBytes.record(requestBytes, { app_id: this.appId });
    i.httpServerResponseBytes.record(responseBytes, { app_id: this.appId });
  }

  /** `operation`: get | set | delete | bulk_get | bulk_set | bulk_delete | transaction | query. */
  stateOperation(component: string, operation: string, success: boolean, elapsedMs: number): void {
    this.timed('state', elapsedMs, { ...this.base(component), operation, success: String(success) });
  }

  outputBinding(component: string, operation: string, success: boolean, elapsedMs: number): void {
    this.timed('outputBinding', elapsedMs, { ...this.base(component), operation, success: String(success) });
  }

  inputBinding(component: string, success: boolean, elapsedMs: number): void {
    this.timed('inputBinding', elapsedMs, { ...this.base(component), success: String(success) });
  }

  /** `operation`: try_lock | unlock. */
  lockOperation(component: string, operation: 'try_lock' | 'unlock', success: boolean, elapsedMs: number): void {
    this.timed('lock', elapsedMs, { ...this.base(component), operation, success: String(success) });
  }

  /** `operation`: get | subscribe | unsubscribe (Dapr's ConfigurationInvoked). */
  configurationOperation(component: string, operation: 'get' | 'subscribe' | 'unsubscribe', success: boolean, elapsedMs: number): void {
    this.timed('configuration', elapsedMs, { ...this.base(component), operation, success: String(success) });
  }

  /** One count and one latency with the same labels (callers record only when `active`). */
  private timed(key: TimedKey, elapsedMs: number, attrs: Attributes): void {
    const pair = this.instruments()?.[key];
    if (!pair) return;
    pair.count.add(1, attrs);
    pair.latencies.record(elapsedMs, attrs);
  }

  /** Client side: a request left for `destinationAppId`. */
  invocationRequestSent(destinationAppId: string, method: string): void {
    this.instruments()?.invReqSent.add(1, { app_id: this.appId, destination_app_id: destinationAppId, method, type: 'http' });
  }

  /** Client side: the response came back (status is the HTTP status, or -1 for a transport error). */
  invocationResponseReceived(destinationAppId: string, method: string, status: number, elapsedMs: number): void {
    const i = this.instruments();
    if (!i) return;
    const attrs = { app_id: this.appId, destination_app_id: destinationAppId, method, status: String(status), type: 'http' };
    i.invResRecv.add(1, attrs);
    i.invResRecvLatency.record(elapsedMs, attrs);
  }

  /** Server side: a request from `sourceAppId` arrived. */
  invocationRequestReceived(sourceAppId: string, method: string): void {
    this.instruments()?.invReqRecv.add(1, { app_id: this.appId, source_app_id: sourceAppId, method, type: 'http' });
  }

  invocationResponseSent(sourceAppId: string, method: string, status: number): void {
    this.instruments()?.invResSent.add(1, {
      app_id: this.appId,
      source_app_id: sourceAppId,
      method,
      status: String(status),
      type: 'http',
    });
  }

  resiliencyLoaded(name: string): void {
    this.instruments()?.resiliencyLoaded.add(1, { app_id: this.appId, name, namespace: this.namespace });
  }

  /** A policy ran for a target (`target` like Dapr's `app_<id>` / `component_<name>_<direction>`). */
  resiliencyApplied(name: string, policy: ResiliencyPolicyKind, direction: ResiliencyFlowDirection, target: string, status = ''): void {
    this.instruments()?.resiliencyCount.add(1, {
      app_id: this.appId,
      name,
      namespace: this.namespace,
      policy,
      flow_direction: direction,
      target,
      status,
    });
  }

  /** A policy kicked in after a failure (retry attempt, timeout fired, breaker opened). */
  resiliencyActivated(name: string, policy: ResiliencyPolicyKind, direction: ResiliencyFlowDirection, target: string, status = ''): void {
    this.instruments()?.resiliencyActivations.add(1, {
      app_id: this.appId,
      name,
      namespace: this.namespace,
      policy,
      flow_direction: direction,
      target,
      status,
    });
  }

  /** Dapr reports 1 for the current state of a breaker (label `status`). */
  circuitBreakerState(name: string, direction: ResiliencyFlowDirection, target: string, state: CircuitBreakerState): void {
    const i = this.instruments();
    if (!i) return;
    for (const s of ['closed', 'half-open', 'open', 'unknown'] as const) {
      i.resiliencyCbState.record(s === state ? 1 : 0, {
        app_id: this.appId,
        name,
        namespace: this.namespace,
        policy: 'circuitbreaker',
        flow_direction: direction,
        target,
        status: s,
      });
    }
  }
}

const HTTP_VERBS = new Set(['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Dapr's `method` label: the verb, or `UNKNOWN` for anything else. */
function httpMetricMethod(method: string): string {
  const verb = method.toUpperCase();
  return HTTP_VERBS.has(verb) ? verb : 'UNKNOWN';
}

/**
 * Dapr's `path` label with its default `http.increasedCardinality: true`
 * (convertPathToMetricLabel): the path without query, `//` collapsed, a
 * leading `/`; the key of state and secret API paths and actor ids folded
 * so that they do not explode the series count.
 */
export function httpMetricPath(raw: string): string {
  const q = raw.indexOf('?');
  let path = q < 0 ? raw : raw.slice(0, q);
  while (path.includes('//')) path = path.replaceAll('//', '/');
  if (!path.startsWith('/')) path = '/' + path;
  const parts = path.slice(1).split('/');
  if (parts.length < 3) return path;
  if (parts[0] === 'actors') return [parts[0], parts[1], '{id}', ...parts.slice(3)].join('/');
  if (parts[1] === 'state' || parts[1] === 'secrets') return '/' + parts.slice(0, 3).join('/');
  if (parts[1] === 'actors' && parts.length >= 5) return '/' + [parts[0], parts[1], parts[2], '{id}', parts[4]].join('/');
  return path;
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
