/** Header names node:http accepts (RFC 7230 tokens). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values node:http accepts: no control characters besides tab. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Broker metadata as HTTP headers, as daprd sends them with each delivery
 * (keys lower-cased by HTTP; `content-length` and anything that is not a
 * valid header is skipped).
 */
export function metadataHeaders(metadata: Record<string, string>, base: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...base };
  for (const k in metadata) {
    const v = metadata[k];
    if (typeof v !== 'string' || !TOKEN.test(k) || !VALUE.test(v)) continue;
    const name = k.toLowerCase();
    if (name === 'content-length' || name === 'content-type' || name === 'transfer-encoding' || name === 'connection' || name === 'host') continue;
    headers[name] = v;
  }
  return headers;
}
