import { context, createTraceState, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PubSubCloudEventError, PubSubMetadataError } from '../errors/pubsub.errors';
import { decodeDelivery, encodeEvent, isExpired, MalformedCloudEventError, payloadOf, ttlMsOf } from './cloud-event.codec';

const ctx = { pubsub: 'orders-ps', topic: 'orders', appId: 'order', addExpiration: true };
const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;

describe('CloudEvents envelope (Dapr §3)', () => {
  it('wraps an object as application/json with every Dapr field', () => {
    const { bytes, contentType } = encodeEvent(ctx, { a: 1 }, undefined);
    expect(contentType).toBe('application/cloudevents+json');
    const ev = json(bytes);
    expect(Object.keys(ev).sort()).toEqual(
      ['data', 'datacontenttype', 'id', 'pubsubname', 'source', 'specversion', 'time', 'topic', 'traceid', 'traceparent', 'tracestate', 'type'].sort(),
    );
    expect(ev).toMatchObject({
      source: 'order',
      type: 'com.dapr.event.sent',
      specversion: '1.0',
      datacontenttype: 'application/json',
      data: { a: 1 },
      topic: 'orders',
      pubsubname: 'orders-ps',
      tracestate: '',
    });
    expect(ev.traceid).toBe(ev.traceparent);
    expect(ev.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(ev.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('uses the active span as trace context, and cloudevent.traceparent overrides it', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const spanContext = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
        traceState: createTraceState('vendor=1'),
      };
      const ev = context.with(trace.setSpanContext(context.active(), spanContext), () => json(encodeEvent(ctx, 'x', undefined).bytes));
      expect(ev.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      expect(ev.traceid).toBe(ev.traceparent);
      expect(ev.tracestate).toBe('vendor=1');
    } finally {
      context.disable();
    }
    const overridden = json(
      encodeEvent(ctx, 'x', { metadata: { 'cloudevent.traceparent': '00-11111111111111111111111111111111-2222222222222222-01' } }).bytes,
    );
    expect(overridden.traceparent).toBe('00-11111111111111111111111111111111-2222222222222222-01');
    expect(overridden.traceid).toBe(overridden.traceparent);
  });

  it('defaults strings to text/plain, bytes to data_base64, and keeps a non-JSON body with a JSON type as a string', () => {
    expect(json(encodeEvent(ctx, 'hello', undefined).bytes)).toMatchObject({ datacontenttype: 'text/plain', data: 'hello' });
    const bin = json(encodeEvent(ctx, Buffer.from([1, 2, 3]), undefined).bytes);
    expect(bin).toMatchObject({ datacontenttype: 'application/octet-stream', data_base64: 'AQID' });
    expect(bin.data).toBeUndefined();
    expect(json(encodeEvent(ctx, '{"n":1}', { contentType: 'application/json' }).bytes).data).toEqual({ n: 1 });
    expect(json(encodeEvent(ctx, 'nope{', { contentType: 'application/json; charset=utf-8' }).bytes)).toMatchObject({
      datacontenttype: 'application/json; charset=utf-8',
      data: 'nope{',
    });
  });

  it('applies cloudEvent options and cloudevent.* metadata overrides', () => {
    const ev = json(
      encodeEvent(ctx, 1, {
        cloudEvent: { id: 'id-1', type: 't', subject: 's' },
        metadata: { 'CloudEvent.Source': 'src' },
      }).bytes,
    );
    expect(ev).toMatchObject({ id: 'id-1', type: 't', subject: 's', source: 'src', data: 1 });
  });

  it('adds expiration from ttlInSeconds unless the broker has MESSAGE_TTL', () => {
    const before = Date.now();
    const ev = json(encodeEvent(ctx, {}, { metadata: { ttlInSeconds: '30' } }).bytes);
    const exp = Date.parse(ev.expiration as string);
    expect(exp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 30_000);
    expect(exp).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(json(encodeEvent({ ...ctx, addExpiration: false }, {}, { metadata: { ttlInSeconds: '30' } }).bytes).expiration).toBeUndefined();
    expect(() => encodeEvent(ctx, {}, { metadata: { ttlInSeconds: 'soon' } })).toThrow(PubSubMetadataError);
    expect(ttlMsOf({ ttl: '1m' })).toBe(60_000);
    expect(ttlMsOf({})).toBeUndefined();
  });

  it('publishes rawPayload bytes untouched and rejects a non-boolean rawPayload', () => {
    const raw = encodeEvent(ctx, { a: 1 }, { metadata: { rawPayload: 'true' } });
    expect(Buffer.from(raw.bytes).toString()).toBe('{"a":1}');
    expect(raw.contentType).toBe('application/json');
    expect(() => encodeEvent(ctx, 'x', { metadata: { rawPayload: 'yes please' } })).toThrow(PubSubMetadataError);
  });

  it('completes an app-supplied CloudEvent like daprd and rejects invalid JSON', () => {
    const ev = json(
      encodeEvent(ctx, '{"id":"x","data":{"k":true},"ext":"e","topic":"spoofed"}', { contentType: 'application/cloudevents+json' }).bytes,
    );
    expect(ev).toMatchObject({ id: 'x', ext: 'e', topic: 'orders', pubsubname: 'orders-ps', source: 'Dapr', type: 'com.dapr.event.sent', specversion: '1.0' });
    expect(ev.traceparent).toBe(ev.traceid);
    expect(() => encodeEvent(ctx, '{bad', { contentType: 'application/cloudevents+json' })).toThrow(PubSubCloudEventError);
  });
});

describe('decoding deliveries', () => {
  it('parses a structured CloudEvent and attaches broker metadata and trace fallbacks', () => {
    const bytes = encodeEvent(ctx, { a: 1 }, undefined).bytes;
    const ev = decodeDelivery(bytes, { __key: 'k', tracestate: 'x=1' }, 'application/cloudevents+json', 'orders', 'orders-ps', false);
    expect(ev.data).toEqual({ a: 1 });
    expect(ev.metadata).toEqual({ __key: 'k', tracestate: 'x=1' });
    expect(ev.tracestate).toBe('');
  });

  it('synthesises a CloudEvent for raw payloads and decodes JSON payloads', () => {
    const ev = decodeDelivery(Buffer.from('{"n":2}'), { traceparent: 'tp' }, undefined, 't', 'p', true);
    expect(ev).toMatchObject({ datacontenttype: 'application/octet-stream', source: 'Dapr', topic: 't', pubsubname: 'p', traceparent: 'tp' });
    expect(payloadOf(ev, true)).toEqual({ n: 2 });
  });

  it('rebuilds a binary-mode CloudEvent from ce_ metadata', () => {
    const ev = decodeDelivery(Buffer.from([9]), { ce_id: 'b1', ce_type: 'bin' }, 'application/octet-stream', 't', 'p', false);
    expect(ev).toMatchObject({ id: 'b1', type: 'bin', data_base64: 'CQ==' });
    expect(payloadOf(ev, false)).toEqual(Buffer.from([9]));
  });

  it('reports a body that is not a JSON object as malformed', () => {
    expect(() => decodeDelivery(Buffer.from('nope'), {}, undefined, 't', 'p', false)).toThrow(MalformedCloudEventError);
    expect(() => decodeDelivery(Buffer.from('[1]'), {}, undefined, 't', 'p', false)).toThrow(MalformedCloudEventError);
  });

  it('treats past expirations as expired and unparseable ones as live', () => {
    const base = { id: '', source: '', type: '', specversion: '1.0', topic: '', pubsubname: '' };
    expect(isExpired({ ...base, expiration: '2020-01-01T00:00:00Z' }, Date.now())).toBe(true);
    expect(isExpired({ ...base, expiration: 'later' }, Date.now())).toBe(false);
    expect(isExpired(base, Date.now())).toBe(false);
  });
});
