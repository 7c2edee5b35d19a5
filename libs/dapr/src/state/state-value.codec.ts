/**
 * Value encoding shared by every driver: bytes (`Buffer` / `Uint8Array`) are
 * stored as they are and flagged binary; anything else is JSON text, the way
 * Dapr's HTTP API JSON-encodes values (a string `"x"` is stored with quotes).
 */
export interface EncodedValue {
  bytes: Uint8Array;
  isBinary: boolean;
}

/** Bytes, or the JSON text of anything else (turned into bytes only when a driver asks). */
export type StateValueEncoding = { isBinary: true; bytes: Uint8Array } | { isBinary: false; text: string };

export function encodeStateValueLazy(value: unknown): StateValueEncoding {
  if (value instanceof Uint8Array) return { isBinary: true, bytes: value };
  if (value instanceof ArrayBuffer) return { isBinary: true, bytes: new Uint8Array(value) };
  // `undefined` has no JSON form; Dapr stores a nil value as `null`.
  return { isBinary: false, text: value === undefined ? 'null' : JSON.stringify(value) };
}

export function encodeStateValue(value: unknown): EncodedValue {
  const e = encodeStateValueLazy(value);
  return e.isBinary ? e : { bytes: Buffer.from(e.text, 'utf8'), isBinary: false };
}

/**
 * Decodes stored bytes. Binary items come back as a `Buffer` (byte-exact).
 * Items the store did not flag are JSON when they parse; bytes that are not
 * JSON (e.g. written raw by a Dapr gRPC app) come back as a `Buffer`.
 */
export function decodeStateValue<T>(data: Uint8Array, isBinary: boolean | undefined): T {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isBinary) return buf as unknown as T;
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    return buf as unknown as T;
  }
}
