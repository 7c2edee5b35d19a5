/**
 * The bytes of a value the blocks decoded: a `Buffer` / `Uint8Array` (stored
 * as bytes, or bytes that were not JSON) goes back as it is, anything else as
 * its JSON text, which is what the store held.
 */
export function encodeJsonValue(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(JSON.stringify(value === undefined ? null : value), 'utf8');
}

/**
 * Bytes from a gRPC client or a raw body: JSON text becomes the value it
 * denotes, so it is stored as JSON (as daprd stores a gRPC `SaveState`), and
 * apps reading through the HTTP API or in-process see the same value;
 * anything else stays bytes.
 */
export function valueFromBytes(bytes: Uint8Array): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) return buf;
  const first = buf[0];
  // Only text that can start a JSON value is worth a parse attempt.
  if (first === 0x7b || first === 0x5b || first === 0x22 || first === 0x74 || first === 0x66 || first === 0x6e || first === 0x2d || (first >= 0x30 && first <= 0x39)) {
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      return buf;
    }
  }
  return buf;
}
