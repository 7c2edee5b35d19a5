/**
 * How values cross the binding boundary. Requests follow Dapr's HTTP API, which
 * re-serialises `data` with json.Marshal: bytes pass through, everything else
 * becomes JSON (so the string "hi" reaches the component as `"hi"`).
 */
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export function encodeBindingData(data: unknown): Uint8Array {
  if (data === undefined) return EMPTY;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return encoder.encode(JSON.stringify(data));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes what a binding returned: nothing → undefined, JSON → the parsed value,
 * text → a string, a binary content type or bytes that are not UTF-8 → a
 * Buffer (byte-exact).
 */
export function decodeBindingData(data: Uint8Array | undefined, contentType?: string): unknown {
  if (!data || data.length === 0) return undefined;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (contentType && isBinaryContentType(contentType)) return buf;
  let text: string;
  try {
    text = strictUtf8.decode(buf);
  } catch {
    return buf;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isBinaryContentType(ct: string): boolean {
  const t = ct.toLowerCase();
  return !(t.includes('json') || t.startsWith('text/') || t.includes('xml') || t.includes('x-www-form-urlencoded'));
}
