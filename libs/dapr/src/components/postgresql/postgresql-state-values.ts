/**
 * How `state.postgresql` v1 lays values into its jsonb column, as Dapr does:
 * JSON values are stored as themselves (PostgreSQL normalises whitespace and
 * key order, so they read back JSON-equal, not byte-equal); opaque bytes are
 * stored as a base64 JSON string with `isbinary = true` and read back
 * byte-exact.
 */
export function encodeValue(value: Uint8Array, isBinary: boolean): string {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // base64 never needs JSON escaping, so quoting it is its JSON form.
  return isBinary ? `"${buf.toString('base64')}"` : buf.toString('utf8');
}

/** `value::text` of a row back to the bytes that were saved. */
export function decodeStoredValue(text: string, isBinary: boolean): Uint8Array {
  if (!isBinary) return Buffer.from(text, 'utf8');
  const b64 = JSON.parse(text) as unknown;
  if (typeof b64 !== 'string') throw new Error('binary value is not a base64 JSON string');
  return Buffer.from(b64, 'base64');
}

/** Dapr's `ttlExpireTime` response metadata: RFC 3339 in UTC, whole seconds (Go's time.RFC3339). */
export function expireTimeMetadata(expireDate: Date): Record<string, string> {
  return { ttlExpireTime: expireDate.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
