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
  // Express fails to decode the parameter before any guard runs: its own 400.
  { name: 'undecodable escape', requestLine: 'GET /files/%E0%A4%A', status: 400 },
  { name: 'encoded ? in the path', requestLine: 'GET /files/secret%3Fx', status: 400, errorCode: 'ERR_MALFORMED_REQUEST' },
  { name: 'encoded slash dot-dot onto a denied path', requestLine: 'GET /files/..%2Fadmin%2Fusers', status: 403, errorCode: 'ERR_PERMISSION_DENIED' },
];

/** State keys every store must refuse with StateKeyInvalidError (ERR_MALFORMED_REQUEST) before anything is written. */
export const HOSTILE_STATE_KEYS: { name: string; key: unknown; reason: RegExp }[] = [
  { name: 'empty', key: '', reason: /a state key is required/ },
  { name: 'not a string', key: 42, reason: /a state key is required/ },
  { name: 'the key-scheme separator', key: 'other-app||orders', reason: /cannot contain "\|\|"/ },
  { name: 'lone high surrogate', key: 'sur\ud800', reason: /well-formed Unicode/ },
  { name: 'lone low surrogate', key: 'sur\udc00', reason: /well-formed Unicode/ },
  { name: 'reversed surrogate pair', key: '\udc00\ud800', reason: /well-formed Unicode/ },
];

function nested(depth: number): object {
  let f: object = { EQ: { a: 1 } };
  for (let i = 0; i < depth; i++) f = { AND: [f, { EQ: { b: i } }] };
  return f;
}

/** State queries every queryable store must refuse with StateRequestInvalidError (ERR_MALFORMED_REQUEST). */
export const HOSTILE_STATE_QUERIES: { name: string; query: object; reason: RegExp }[] = [
  { name: '3,000-level filter', query: { filter: nested(3000) }, reason: /nested deeper than 32 levels/ },
  { name: 'page token beyond a safe integer', query: { page: { limit: 1, token: '99999999999999999999999999' } }, reason: /invalid query page token/ },
  { name: 'negative page token', query: { page: { limit: 1, token: '-1' } }, reason: /invalid query page token/ },
  { name: 'exponent page token', query: { page: { limit: 1, token: '1e3' } }, reason: /invalid query page token/ },
  { name: 'SQL in the page token', query: { page: { limit: 1, token: '0; DROP TABLE state' } }, reason: /invalid query page token/ },
  { name: 'huge page limit', query: { page: { limit: 1e300 } }, reason: /page limit must be a positive integer/ },
  { name: 'fractional page limit', query: { page: { limit: 1.5 } }, reason: /page limit must be a positive integer/ },
  { name: 'two operations in one filter', query: { filter: { EQ: { a: 1 }, NEQ: { b: 2 } } }, reason: /exactly one operation/ },
  { name: 'unknown operation', query: { filter: { LIKE: { a: '%' } } }, reason: /unknown query filter operation/ },
  { name: 'object where a scalar goes', query: { filter: { EQ: { a: { $ne: 1 } } } }, reason: /needs a scalar value/ },
  { name: 'sort order that is not ASC/DESC', query: { sort: [{ key: 'a', order: 'ASC; DROP TABLE x' }] }, reason: /is not ASC or DESC/ },
];

/** bindings.localstorage file names that must be refused (BindingRequestError) for every operation. */
export const HOSTILE_FILE_NAMES: { name: string; fileName: string; reason: RegExp }[] = [
  { name: 'parent traversal', fileName: '../../../../etc/passwd', reason: /escapes rootPath/ },
  { name: 'absolute path', fileName: '/etc/passwd', reason: /must be relative/ },
  { name: 'NUL byte', fileName: 'a\u0000b', reason: /NUL byte/ },
  { name: 'traversal after a directory', fileName: 'sub/../../outside', reason: /escapes rootPath/ },
];

const component = (spec: string, name = 'c') => `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

/** Component/Configuration YAML that must stop start-up with a typed error naming the file (and the field). */
export const HOSTILE_COMPONENT_YAML: { name: string; yaml: string; error: string; message: RegExp }[] = [
  {
    name: 'alias bomb (billion laughs)',
    yaml: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`,
    error: 'ComponentYamlError',
    message: /bomb\.yaml.*alias/i,
  },
  { name: 'not YAML', yaml: 'spec: [unclosed\n  - {', error: 'ComponentYamlError', message: /not-yaml\.yaml:\d+: invalid YAML/ },
  { name: 'a list at the top', yaml: '- a\n- b\n', error: 'ComponentConfigError', message: /top-level-list\.yaml/ },
  { name: 'unknown component type', yaml: component('  type: state.nosuch\n  version: v1\n'), error: 'UnknownComponentTypeError', message: /unknown-type\.yaml:\d+: .*unknown type state\.nosuch/ },
  { name: 'metadata as a map', yaml: component('  type: state.in-memory\n  version: v1\n  metadata:\n    a: b\n'), error: 'ComponentConfigError', message: /metadata-map\.yaml:\d+: .*spec\.metadata/ },
  { name: 'metadata item without a name', yaml: component('  type: state.in-memory\n  version: v1\n  metadata:\n  - value: b\n'), error: 'ComponentConfigError', message: /metadata-no-name\.yaml:\d+: .*name/ },
  { name: 'initTimeout that is not a duration', yaml: component('  type: state.in-memory\n  version: v1\n  initTimeout: forever\n'), error: 'ComponentConfigError', message: /init-timeout\.yaml:\d+: .*initTimeout/ },
  {
    name: 'access control policy without namespace',
    yaml: 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: cfg\nspec:\n  accessControl:\n    defaultAction: deny\n    policies:\n    - appId: order\n      trustDomain: public\n',
    error: 'ComponentConfigError',
    message: /acl-no-namespace\.yaml.*policies\[0\]\.namespace: is required/,
  },
];
