import { decodeBindingData, encodeBindingData } from './binding-codec';

describe('binding codec', () => {
  it('encodes like Dapr re-serialising `data` with json.Marshal; bytes pass through', () => {
    expect(Buffer.from(encodeBindingData('hi')).toString()).toBe('"hi"');
    expect(Buffer.from(encodeBindingData({ a: [1, 2] })).toString()).toBe('{"a":[1,2]}');
    expect(Buffer.from(encodeBindingData(42)).toString()).toBe('42');
    expect(encodeBindingData(undefined)).toHaveLength(0);
    const raw = Buffer.from([0, 255]);
    expect(encodeBindingData(raw)).toBe(raw);
  });

  it('decodes JSON, text and bytes', () => {
    expect(decodeBindingData(Buffer.from('{"x":1}'))).toEqual({ x: 1 });
    expect(decodeBindingData(Buffer.from('plain text'))).toBe('plain text');
    expect(decodeBindingData(undefined)).toBeUndefined();
    expect(decodeBindingData(new Uint8Array(0))).toBeUndefined();
    const bin = Buffer.from([0xff, 0xfe, 0x00]);
    expect(Buffer.compare(decodeBindingData(bin) as Buffer, bin)).toBe(0);
    expect(Buffer.isBuffer(decodeBindingData(Buffer.from('{"x":1}'), 'application/octet-stream'))).toBe(true);
    expect(decodeBindingData(Buffer.from('<a/>'), 'text/xml')).toBe('<a/>');
  });
});
