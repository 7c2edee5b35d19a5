/**
 * The bytes of an output binding's answer as the block decoded it: bytes as
 * they are, text as UTF-8, anything else as JSON. Undefined when there was none.
 */
export function encodeBindingResponse(data: unknown): Buffer | undefined {
  if (data === undefined) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}
