import { decodeStateValue, encodeStateValue } from './state-value.codec';

describe('state value codec', () => {
  it('JSON-encodes everything except bytes', () => {
    expect(Buffer.from(encodeStateValue('x').bytes).toString()).toBe('"x"');
    expect(Buffer.from(encodeStateValue({ a: [1, true] }).bytes).toString()).toBe('{"a":[1,true]}');
    expect(Buffer.from(encodeStateValue(undefined).bytes).toString()).toBe('null');
    expect(encodeStateValue(1).isBinary).toBe(false);
  });

  it('keeps bytes byte-exact and flags them binary', () => {
    const bytes = new Uint8Array([0, 1, 255]);
    const enc = encodeStateValue(bytes);
    expect(enc).toEqual({ bytes, isBinary: true });
    const back = decodeStateValue<Buffer>(enc.bytes, true);
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...back]).toEqual([0, 1, 255]);
    // Bytes that happen to be JSON stay bytes only when the store knows nest-dapr wrote them as bytes...
    expect(decodeStateValue<Buffer>(Buffer.from('{"a":1}'), true, true).toString()).toBe('{"a":1}');
    // ...otherwise they read as an @dapr/dapr app reads them (a gRPC SDK's isbinary value): parsed.
    expect(decodeStateValue(Buffer.from('{"a":1}'), true)).toEqual({ a: 1 });
    expect(decodeStateValue(Buffer.from(' [1]'), true)).toEqual([1]);
    expect(Buffer.isBuffer(decodeStateValue(Buffer.from('1x'), true))).toBe(true);
  });

  it('decodes JSON, and unflagged non-JSON bytes (raw Dapr gRPC writes) as a Buffer', () => {
    expect(decodeStateValue(Buffer.from('{"a":1}'), false)).toEqual({ a: 1 });
    expect(decodeStateValue(Buffer.from('"s"'), undefined)).toBe('s');
    const raw = decodeStateValue<Buffer>(Buffer.from([1, 2]), undefined);
    expect([...raw]).toEqual([1, 2]);
  });
});
