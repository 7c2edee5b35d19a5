import type { HeaderMap } from '../app-channel/app-channel';

/** Headers never forwarded on an invocation (`dapr:pkg/messaging/v1/util.go`), plus what the client sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
  'dapr-api-token',
  'dapr-app-id',
  'host',
  'content-length',
  'expect',
]);

/** The caller's headers that travel with an invocation (query string and body are forwarded as they are). */
export function forwardableHeaders(headers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || DROPPED.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Response headers passed back to the caller (hop-by-hop ones are the server's own business). */
export function responseHeaders(headers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding' || k === 'content-length') continue;
    out[k] = v;
  }
  return out;
}

/**
 * The target app of a request to the HTTP API that names it outside the path:
 * the `dapr-app-id` header, or `Authorization: Basic base64("dapr-app-id:<id>")`.
 */
export function appIdFromHeaders(headers: HeaderMap): string | undefined {
  const h = headers['dapr-app-id'];
  const id = Array.isArray(h) ? h[0] : h;
  if (id) return id;
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (value && value.length > 6 && value.slice(0, 6).toLowerCase() === 'basic ') {
    const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && decoded.slice(0, colon) === 'dapr-app-id') return decoded.slice(colon + 1) || undefined;
  }
  return undefined;
}
