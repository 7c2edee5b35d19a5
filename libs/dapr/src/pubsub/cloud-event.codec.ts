import { randomUUID } from 'node:crypto';
import { context, trace, type SpanContext } from '@opentelemetry/api';
import { MalformedCloudEventError, PubSubCloudEventError, PubSubMetadataError } from '../errors/pubsub.errors';
import { parseDuration } from '../spi/kit/duration';
import { formatTraceparent, randomSpanContext } from '../observability/trace-context';
import { CLOUD_EVENT_SPEC_VERSION, CLOUD_EVENT_TYPE, CLOUDEVENTS_CONTENT_TYPE } from './pubsub.constants';
import type { CloudEvent, PublishOptions } from './pubsub.interfaces';

/** What one publish turns into on the wire. */
export interface EncodedEvent {
  bytes: Uint8Array;
  contentType: string;
}

/** Everything the envelope needs besides the payload, resolved once per call. */
export interface EnvelopeContext {
  pubsub: string;
  topic: string;
  appId: string;
  /** False when the driver enforces TTL natively (feature MESSAGE_TTL). */
  addExpiration: boolean;
  /** Component type, for span attributes. */
  componentType?: string;
  /** Envelope JSON that is the same for every event of this topic (filled on first use). */
  prefix?: string;
  /** The topic on the broker: `topic`, prefixed with the namespace for namespace-scoped components. */
  brokerTopic?: string;
}

const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Go's strconv.ParseBool, which Dapr uses for `rawPayload`. */
export function parseBoolMetadata(key: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  switch (value) {
    case '1': case 't': case 'T': case 'true': case 'TRUE': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'false': case 'FALSE': case 'False':
      return false;
  }
  throw new PubSubMetadataError(`metadata ${key}="${value}" is not a boolean`);
}

export function isJsonContentType(ct: string): boolean {
  const semi = ct.indexOf(';');
  const base = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

function isBinaryContentType(ct: string): boolean {
  const base = ct.toLowerCase();
  return (
    base.startsWith('application/octet-stream') ||
    base.startsWith('application/cloudevents+protobuf') ||
    base.startsWith('application/x-protobuf')
  );
}

function isCloudEventsContentType(ct: string): boolean {
  return ct.toLowerCase().startsWith(CLOUDEVENTS_CONTENT_TYPE);
}

export function defaultContentType(data: unknown): string {
  if (typeof data === 'string') return 'text/plain';
  if (data instanceof Uint8Array) return 'application/octet-stream';
  return 'application/json';
}

export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data ?? null), 'utf8');
}

export function bytesToString(data: Uint8Array): string {
  // A view over the same memory: no copy of the payload.
  return (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('utf8');
}

// `time` is second-precision RFC 3339 (Go's time.RFC3339); format once per second.
let cachedSecond = -1;
let cachedTime = '';
function nowRfc3339(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTime = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
  }
  return cachedTime;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
}

/** Reads `ttlInSeconds` (integer) or `ttl` (Go duration or integer seconds); undefined when absent. */
export function ttlMsOf(metadata: Record<string, string>): number | undefined {
  const secs = metadata.ttlInSeconds;
  if (secs !== undefined && secs !== '') {
    if (!/^-?\d+$/.test(secs)) throw new PubSubMetadataError(`ttlInSeconds value must be a valid integer, got "${secs}"`);
    return Math.max(0, parseInt(secs, 10)) * 1000;
  }
  const ttl = metadata.ttl;
  if (ttl !== undefined && ttl !== '') {
    if (/^\d+$/.test(ttl)) return parseInt(ttl, 10) * 1000;
    const ms = parseDuration(ttl);
    if (ms === undefined || ms <= 0) throw new PubSubMetadataError(`ttl value must be a positive duration, got "${ttl}"`);
    return ms;
  }
  return undefined;
}

// Set by traceparentOf() next to its return value, so the hot path allocates no pair object.
let lastTracestate = '';

/**
 * The publish's traceparent: metadata overrides, else the producer span's
 * context (or the active one), else a fresh unsampled context, as daprd
 * always stamps one.
 */
function traceparentOf(overrides: Record<string, string> | undefined, span: SpanContext | undefined): string {
  const override = overrides?.traceparent ?? overrides?.traceid;
  lastTracestate = overrides?.tracestate ?? '';
  if (override !== undefined) return override;
  const sc = span ?? trace.getSpanContext(context.active());
  const traceparent = sc && formatTraceparent(sc);
  if (traceparent) {
    if (overrides?.tracestate === undefined) lastTracestate = sc.traceState?.serialize() ?? '';
    return traceparent;
  }
  return formatTraceparent(randomSpanContext())!;
}

/** `,"data":...` or `,"data_base64":"..."` for the envelope, as daprd fills them from body and content type. */
function dataJson(data: unknown, contentType: string): string {
  if (isBinaryContentType(contentType)) {
    const bytes = toBytes(data);
    const b64 = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64');
    return `,"data_base64":"${b64}"`;
  }
  let value: unknown = data;
  if (isJsonContentType(contentType)) {
    if (typeof data === 'string' || data instanceof Uint8Array) {
      const text = typeof data === 'string' ? data : bytesToString(data);
      try {
        return `,"data":${JSON.stringify(JSON.parse(text))}`;
      } catch {
        // Dapr keeps a body that is not JSON as the raw string.
        value = text;
      }
    }
  } else if (data instanceof Uint8Array) {
    value = bytesToString(data);
  } else if (typeof data !== 'string') {
    value = JSON.stringify(data);
  }
  const json = JSON.stringify(value);
  return json === undefined ? '' : `,"data":${json}`;
}

/** Stamps the W3C trace context of the publish on an app-supplied CloudEvent (see `traceparentOf`). */
function stampTrace(
  event: Record<string, unknown>,
  overrides: Record<string, string> | undefined,
  span: SpanContext | undefined,
): void {
  const traceparent = traceparentOf(overrides, span);
  event.traceid = traceparent;
  event.traceparent = traceparent;
  event.tracestate = lastTracestate;
}

/** `cloudevent.<field>` publish metadata overrides (case-insensitive), Dapr's second override channel. */
function metadataOverrides(metadata: Record<string, string>): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const key in metadata) {
    if (key.length > 11 && key.charCodeAt(10) === 46 /* . */ && key.slice(0, 10).toLowerCase() === 'cloudevent') {
      (out ??= {})[key.slice(11).toLowerCase()] = metadata[key];
    }
  }
  return out;
}

/**
 * Builds what goes on the wire for one publish: the raw payload, Dapr's
 * CloudEvents 1.0 envelope, or an app-supplied CloudEvent completed the way
 * daprd completes it.
 */
export function encodeEvent(
  ctx: EnvelopeContext,
  data: unknown,
  options: PublishOptions | undefined,
  span?: SpanContext,
): EncodedEvent {
  const metadata = options?.metadata ?? NO_METADATA;
  const contentType = options?.contentType || defaultContentType(data);
  if (parseBoolMetadata('rawPayload', metadata.rawPayload)) {
    return { bytes: toBytes(data), contentType };
  }
  const ttlMs = ctx.addExpiration ? ttlMsOf(metadata) : undefined;
  const nowMs = Date.now();
  if (isCloudEventsContentType(contentType)) {
    const event = appCloudEvent(ctx, data, nowMs, span);
    if (ttlMs !== undefined) event.expiration = rfc3339(nowMs + ttlMs);
    return { bytes: Buffer.from(JSON.stringify(event), 'utf8'), contentType: CLOUDEVENTS_CONTENT_TYPE };
  }
  // The envelope is written as a string: the topic's constant part once, then
  // the per-event fields, then the payload serialised once. No intermediate
  // event object is built.
  const overrides = metadata === NO_METADATA ? undefined : metadataOverrides(metadata);
  const ce = options?.cloudEvent;
  const id = ce?.id ?? overrides?.id;
  const source = ce?.source ?? overrides?.source;
  const type = ce?.type ?? overrides?.type;
  const subject = ce?.subject ?? overrides?.subject;
  const traceparent = JSON.stringify(traceparentOf(overrides, span));
  const prefix = (ctx.prefix ??=
    `{"specversion":"${CLOUD_EVENT_SPEC_VERSION}","topic":${JSON.stringify(ctx.topic)},"pubsubname":${JSON.stringify(ctx.pubsub)}`);
  let json =
    prefix +
    `,"id":${id === undefined ? `"${randomUUID()}"` : JSON.stringify(id)}` +
    `,"source":${JSON.stringify(source ?? (ctx.appId || 'Dapr'))}` +
    `,"type":${type === undefined ? `"${CLOUD_EVENT_TYPE}"` : JSON.stringify(type)}` +
    `,"datacontenttype":${JSON.stringify(contentType)}` +
    `,"time":"${nowRfc3339(nowMs)}","traceid":${traceparent},"traceparent":${traceparent},"tracestate":${JSON.stringify(lastTracestate)}`;
  if (subject !== undefined) json += `,"subject":${JSON.stringify(subject)}`;
  if (ttlMs !== undefined) json += `,"expiration":"${rfc3339(nowMs + ttlMs)}"`;
  json += dataJson(data, contentType) + '}';
  return { bytes: Buffer.from(json, 'utf8'), contentType: CLOUDEVENTS_CONTENT_TYPE };
}

function appCloudEvent(ctx: EnvelopeContext, data: unknown, nowMs: number, span?: SpanContext): Record<string, unknown> {
  let event: unknown = data;
  if (typeof data === 'string' || data instanceof Uint8Array) {
    try {
      event = JSON.parse(typeof data === 'string' ? data : bytesToString(data));
    } catch (err) {
      throw new PubSubCloudEventError(`cannot parse the application/cloudevents+json body: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) {
    throw new PubSubCloudEventError('an application/cloudevents+json body must be a JSON object');
  }
  const out: Record<string, unknown> = { ...(event as Record<string, unknown>) };
  out.topic = ctx.topic;
  out.pubsubname = ctx.pubsub;
  if (out.time == null) out.time = nowRfc3339(nowMs);
  if (out.traceid == null) {
    stampTrace(out, out.tracestate == null ? undefined : { tracestate: String(out.tracestate) }, span);
  } else if (out.tracestate == null) {
    out.tracestate = '';
  }
  if (out.source == null) out.source = 'Dapr';
  if (out.type == null) out.type = CLOUD_EVENT_TYPE;
  if (out.specversion == null) out.specversion = CLOUD_EVENT_SPEC_VERSION;
  return out;
}

export { MalformedCloudEventError };

/** Context attributes that are strings in CloudEvents 1.0 (and Dapr's extensions); anything else is refused. */
const STRING_ATTRIBUTES = [
  'id',
  'source',
  'specversion',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
  'topic',
  'pubsubname',
  'traceid',
  'traceparent',
  'tracestate',
  'expiration',
] as const;
/** RFC 4648 §4 padded base64, what Go's base64.StdEncoding (Dapr) writes; a loop, linear and regex-free. */
export function isStdBase64(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61 /* = */) end = s.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    // A-Z a-z 0-9 + /
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47)) return false;
  }
  return true;
}

/**
 * Type-checks what the pipeline and handlers rely on, so a hostile event
 * cannot smuggle objects where strings are expected: `{"data_base64":
 * {"length":1e8}}` would otherwise allocate 100 MB in `Buffer.from`.
 */
function assertWellTyped(event: Record<string, unknown>): void {
  for (const name of STRING_ATTRIBUTES) {
    const v = event[name];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new MalformedCloudEventError(`CloudEvent attribute "${name}" must be a string, got ${Array.isArray(v) ? 'array' : typeof v}`);
    }
  }
  const b64 = event.data_base64;
  if (b64 !== undefined && b64 !== null) {
    if (typeof b64 !== 'string') throw new MalformedCloudEventError(`CloudEvent data_base64 must be a base64 string, got ${Array.isArray(b64) ? 'array' : typeof b64}`);
    if (!isStdBase64(b64)) throw new MalformedCloudEventError('CloudEvent data_base64 is not valid (padded, standard-alphabet) base64');
    if (event.data !== undefined) throw new MalformedCloudEventError('CloudEvent has both data and data_base64');
  }
}

/**
 * Reads a delivered message as a CloudEvent: parses a structured CE, rebuilds a
 * binary-mode one from `ce_` metadata, or synthesises one for raw payloads.
 * The returned object is the parsed JSON itself (no copy); broker metadata is
 * attached as `metadata`. Throws MalformedCloudEventError for anything that is
 * not a well-typed CloudEvent (see assertWellTyped); never anything else, for
 * any bytes and any metadata.
 */
export function decodeDelivery(
  data: Uint8Array,
  metadata: Record<string, string>,
  contentType: string | undefined,
  topic: string,
  pubsub: string,
  rawPayload: boolean,
): CloudEvent {
  // Drivers build metadata from the broker: a hostile entry can make it anything.
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) metadata = {};
  let event: CloudEvent;
  if (rawPayload) {
    event = {
      id: randomUUID(),
      specversion: CLOUD_EVENT_SPEC_VERSION,
      datacontenttype: 'application/octet-stream',
      source: 'Dapr',
      type: CLOUD_EVENT_TYPE,
      topic,
      pubsubname: pubsub,
      data_base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    };
  } else if (contentType !== undefined && contentType.toLowerCase().startsWith('application/octet-stream')) {
    event = binaryModeEvent(data, metadata, contentType, topic, pubsub);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytesToString(data));
    } catch (err) {
      throw new MalformedCloudEventError(`not a JSON CloudEvent: ${(err as Error).message}`, { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MalformedCloudEventError('not a JSON CloudEvent: the body is not a JSON object');
    }
    event = parsed as CloudEvent;
    assertWellTyped(parsed as Record<string, unknown>);
  }
  if (event.traceid === undefined && typeof metadata.traceid === 'string') event.traceid = metadata.traceid;
  if (event.traceparent === undefined && typeof metadata.traceparent === 'string') event.traceparent = metadata.traceparent;
  if (event.tracestate === undefined && typeof metadata.tracestate === 'string') event.tracestate = metadata.tracestate;
  event.metadata = metadata;
  return event;
}

function binaryModeEvent(
  data: Uint8Array,
  metadata: Record<string, string>,
  contentType: string,
  topic: string,
  pubsub: string,
): CloudEvent {
  const event: Record<string, unknown> = {};
  for (const key in metadata) {
    if (key.length > 3 && key.slice(0, 3).toLowerCase() === 'ce_') {
      const name = key.slice(3).toLowerCase();
      // `ce___proto__` must not replace the event's prototype; metadata values are strings.
      if (name !== '__proto__' && typeof metadata[key] === 'string') event[name] = metadata[key];
    }
  }
  event.datacontenttype = contentType;
  event.data_base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  event.topic ??= topic;
  event.pubsubname ??= pubsub;
  event.specversion ??= CLOUD_EVENT_SPEC_VERSION;
  event.type ??= CLOUD_EVENT_TYPE;
  event.source ??= 'Dapr';
  event.id ??= randomUUID();
  return event as CloudEvent;
}

/** The handler's first argument: `data`, or the decoded bytes of `data_base64` (JSON when they parse). */
export function payloadOf(event: CloudEvent, rawPayload: boolean): unknown {
  if (event.data !== undefined || typeof event.data_base64 !== 'string') return event.data;
  const bytes = Buffer.from(event.data_base64, 'base64');
  if (rawPayload) {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      return bytes;
    }
  }
  return bytes;
}

/** True when `expiration` (RFC 3339) lies in the past; an unparseable one never expires (Dapr). */
export function isExpired(event: CloudEvent, nowMs: number): boolean {
  const exp = event.expiration;
  if (typeof exp !== 'string') return false;
  const at = Date.parse(exp);
  return !Number.isNaN(at) && at < nowMs;
}
