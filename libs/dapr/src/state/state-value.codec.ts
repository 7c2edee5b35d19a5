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
 * Decodes stored bytes the way an app using the official `@dapr/dapr` client
 * sees them: bytes that are JSON text come back parsed, anything else as a
 * `Buffer`. That holds for values a store flags binary too — Dapr's gRPC
 * `SaveState` (the Go, .NET, Java and Python SDKs) stores every value as bytes
 * (`isbinary=true` on PostgreSQL/SQLite), JSON or not. Only `exactBytes` — a
 * store that can tell nest-dapr's own byte writes apart (Redis) — keeps a
 * Buffer whose bytes happen to be JSON.
 */
export function decodeStateValue<T>(data: Uint8Array, isBinary: boolean | undefined, exactBytes?: boolean): T {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (exactBytes || (isBinary && !mayBeJson(buf))) return buf as unknown as T;
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    return buf as unknown as T;
  }
}

/** Cheap pre-check so opaque binary values do not pay for a failed JSON.parse. */
function mayBeJson(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    // { [ " - 0-9 t f n
    return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
  }
  return false;
}
