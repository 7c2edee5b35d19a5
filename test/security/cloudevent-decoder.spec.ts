import fc from 'fast-check';
import { MalformedCloudEventError } from 'nest-dapr';
import { decodeDelivery, payloadOf } from '../../libs/dapr/src/pubsub/cloud-event.codec';
import { HARMLESS_CLOUD_EVENTS, HOSTILE_CLOUD_EVENTS } from './hostile-inputs';

const decode = (body: string | Uint8Array, metadata: Record<string, string> = {}, contentType?: string, raw = false) =>
  decodeDelivery(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, metadata, contentType, 'orders', 'pubsub', raw);

/** The CloudEvent decoder against the hostile-input table and a fuzz pass (fixed seed, so CI is repeatable). */
describe('CloudEvent decoder: hostile inputs', () => {
  it.each(HOSTILE_CLOUD_EVENTS.map((h) => [h.name, h] as const))('%s → MalformedCloudEventError', (_name, h) => {
    let thrown: unknown;
    try {
      decode(h.body);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MalformedCloudEventError);
    expect(thrown).toMatchObject({ errorCode: 'ERR_PUBSUB_CLOUD_EVENTS_SER', nonRetriable: true, message: expect.stringMatching(h.reason) });
  });

  it.each(HARMLESS_CLOUD_EVENTS.map((h) => [h.name, h] as const))('%s → delivered as is', (_name, h) => {
    const event = decode(h.body);
    expect(payloadOf(event, false)).toEqual(h.data);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
  });

  it('does not let binary-mode ce_ metadata replace the prototype or smuggle non-strings', () => {
    const event = decode(Buffer.from([1, 2]), { ce___proto__: 'x', ce_id: 'e1', ce_type: 't' }, 'application/octet-stream');
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(event).toMatchObject({ id: 'e1', type: 't', data_base64: 'AQI=' });
  });

  it('survives metadata that is not an object (a hostile broker entry)', () => {
    for (const md of [null, [], 'x', 7] as unknown as Record<string, string>[]) {
      expect(decode('{"id":"a","data":1}', md).metadata).toEqual({});
    }
    expect(decode('{"id":"a","data":1}', { traceparent: {} as unknown as string }).traceparent).toBeUndefined();
  });

  it('checks a 3 MiB data_base64 in time linear in its size (no regex backtracking)', () => {
    const b64 = Buffer.alloc(3 * 1024 * 1024, 7).toString('base64');
    const text = `{"id":"big","data_base64":"${b64}"}`;
    // Compared with what any decoder must do anyway — parse the JSON — so machine load cancels out.
    const best = (f: () => void) => Math.min(...[0, 1, 2].map(() => ((t) => (f(), performance.now() - t))(performance.now())));
    const parseOnly = best(() => JSON.parse(text));
    let event: ReturnType<typeof decode> | undefined;
    const decodeTime = best(() => (event = decode(text)));
    expect((payloadOf(event!, false) as Buffer).length).toBe(3 * 1024 * 1024);
    expect(decodeTime).toBeLessThan(parseOnly * 10 + 50);
    // A bad character at the very end is found in the same time (a backtracking check would explode here).
    const badTime = best(() => expect(() => decode(`{"id":"big","data_base64":"${b64.slice(0, -1)}!"}`)).toThrow(MalformedCloudEventError));
    expect(badTime).toBeLessThan(parseOnly * 10 + 50);
  });
});

describe('CloudEvent decoder: fuzz (fast-check, seed 1337)', () => {
  const params = { seed: 1337, numRuns: 400 };

  /** Either a CloudEvent whose string attributes are strings and whose payload can be read, or MalformedCloudEventError — nothing else. */
  function decodesOrRefuses(body: Uint8Array, metadata: Record<string, string>, contentType?: string, raw = false): void {
    let event;
    try {
      event = decode(body, metadata, contentType, raw);
    } catch (err) {
      if (!(err instanceof MalformedCloudEventError)) throw err;
      return;
    }
    for (const name of ['id', 'source', 'type', 'specversion', 'traceparent', 'tracestate', 'traceid', 'expiration']) {
      const v = (event as Record<string, unknown>)[name];
      if (v !== undefined && v !== null) expect(typeof v).toBe('string');
    }
    expect(() => payloadOf(event, raw)).not.toThrow();
    expect(typeof event.metadata).toBe('object');
  }

  const attribute = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
  const cloudEventLike = fc.record(
    {
      id: attribute,
      source: attribute,
      type: attribute,
      specversion: attribute,
      traceparent: attribute,
      expiration: attribute,
      data: fc.jsonValue(),
      data_base64: fc.oneof(fc.base64String(), fc.string(), fc.integer(), fc.record({ length: fc.nat() })),
      __proto__: fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  );
  const metadata = fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 5 });

  it('CloudEvent-shaped JSON with attributes of any type', () => {
    fc.assert(
      fc.property(cloudEventLike, metadata, (ce, md) => decodesOrRefuses(Buffer.from(JSON.stringify(ce)), md)),
      params,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('arbitrary bytes, content types and raw mode', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        metadata,
        fc.constantFrom(undefined, 'application/json', 'application/octet-stream', 'text/plain', 'application/cloudevents+json'),
        fc.boolean(),
        (bytes, md, ct, raw) => decodesOrRefuses(bytes, md, ct, raw),
      ),
      params,
    );
  });

  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => decodesOrRefuses(Buffer.from(JSON.stringify(v) ?? ''), {})),
      params,
    );
  });
});
