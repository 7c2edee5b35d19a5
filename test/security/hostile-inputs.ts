/**
 * Hostile inputs, one table per surface, each with the typed error (class and
 * Dapr error code) nest-dapr must answer with. The suites in this folder run
 * every row against the real thing (decoder, drivers on real brokers, Nest
 * apps over HTTP, stores); keep rows here so a new surface or a new trick is
 * one line.
 */

/** A delivered message that is not a well-typed CloudEvent: every driver must dead-letter or drop it, never retry it. */
export interface HostileEvent {
  name: string;
  body: string;
  /** The MalformedCloudEventError message it produces. */
  reason: RegExp;
}

export const HOSTILE_CLOUD_EVENTS: HostileEvent[] = [
  { name: 'not JSON', body: 'not json {', reason: /not a JSON CloudEvent/ },
  { name: 'empty body', body: '', reason: /not a JSON CloudEvent/ },
  { name: 'JSON array', body: '[1,2,3]', reason: /not a JSON object/ },
  { name: 'JSON null (a Kafka tombstone)', body: 'null', reason: /not a JSON object/ },
  { name: 'JSON string', body: '"just a string"', reason: /not a JSON object/ },
  {
    name: 'data_base64 as an object with a length (96-byte allocation bomb)',
    body: '{"specversion":"1.0","id":"x","data_base64":{"length":100000000}}',
    reason: /data_base64 must be a base64 string, got object/,
  },
  { name: 'data_base64 as a number', body: '{"id":"x","data_base64":12}', reason: /data_base64 must be a base64 string, got number/ },
  { name: 'data_base64 as an array', body: '{"id":"x","data_base64":[1,2]}', reason: /data_base64 must be a base64 string, got array/ },
  { name: 'data_base64 not base64', body: '{"id":"x","data_base64":"!!not base64!!"}', reason: /data_base64 is not valid/ },
  { name: 'both data and data_base64', body: '{"id":"x","data":1,"data_base64":"AA=="}', reason: /both data and data_base64/ },
  { name: 'id as an object', body: '{"id":{"$gt":""},"data":1}', reason: /attribute "id" must be a string/ },
  { name: 'traceparent as an array', body: '{"id":"x","traceparent":["00-a-b-01"],"data":1}', reason: /attribute "traceparent" must be a string/ },
  { name: 'expiration as a number', body: '{"id":"x","expiration":1,"data":1}', reason: /attribute "expiration" must be a string/ },
  { name: 'invalid UTF-8 / binary garbage', body: '\u0000\u0001\u0002\u00ff', reason: /not a JSON CloudEvent/ },
];

/** Inputs that look hostile but are valid CloudEvents: they must be delivered normally and change nothing else. */
export const HARMLESS_CLOUD_EVENTS: { name: string; body: string; data: unknown }[] = [
  { name: '__proto__ key (no prototype pollution)', body: '{"id":"p","__proto__":{"polluted":true},"data":{"ok":1}}', data: { ok: 1 } },
  { name: 'deeply nested data', body: `{"id":"d","data":${'['.repeat(5000)}${']'.repeat(5000)}}`, data: expect.any(Array) },
];

/** Request-targets sent to an invocation callee whose policy denies /admin/** and GET /files/secret. */
export const HOSTILE_INVOCATION_PATHS: { name: string; requestLine: string; status: number; errorCode?: string }[] = [
  { name: 'upper case', requestLine: 'GET /ADMIN/users', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
  { name: 'mixed case POST', requestLine: 'POST /Admin/Users', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
  { name: 'percent-encoded letter in a parameter', requestLine: 'GET /files/%73ecret', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
  { name: 'encoded upper case', requestLine: 'GET /files/%53ECRET', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
  { name: 'HEAD on a denied GET', requestLine: 'HEAD /files/secret', status: 403 },
  { name: 'trailing slash', requestLine: 'GET /admin/users/', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
  { name: 'absolute-form', requestLine: 'GET http://evil/admin/users', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'absolute-form to an allowed path', requestLine: 'GET http://evil/files/public', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'encoded NUL', requestLine: 'GET /files/a%00b', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'encoded newline', requestLine: 'GET /files/a%0Ab', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'undecodable escape', requestLine: 'GET /files/%E0%A4%A', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'encoded ? in the path', requestLine: 'GET /files/secret%3Fx', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'encoded slash dot-dot onto a denied path', requestLine: 'GET /files/..%2Fadmin%2Fusers', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
];
