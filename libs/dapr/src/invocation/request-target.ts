/**
 * The two readings of an HTTP request-target that access control must agree
 * with, both lower-cased (Express routes case-insensitively by default; Dapr
 * lower-cases HTTP operations before matching, `dapr:pkg/acl/acl.go`):
 *
 * - `routerPath`: what the router dispatches. Express matches the raw path
 *   segment by segment and hands handlers percent-decoded parameters, so each
 *   segment is decoded on its own (an encoded `/` stays inside its segment, as
 *   `%2f`); dot segments and empty segments are kept, because the router does
 *   not resolve them either; one trailing slash is dropped (non-strict routing).
 * - `daprPath`: Dapr's `NormalizeMethod` (`dapr:pkg/messaging/method/normalize.go`):
 *   the whole path percent-decoded, then `path.Clean` (dot segments resolved,
 *   duplicate and trailing slashes removed).
 *
 * A request is only allowed when both readings are, so no spelling of a path
 * reaches a handler that a policy written for its plain form denies.
 */
export interface RequestTarget {
  routerPath: string;
  daprPath: string;
}

/** Why a request-target cannot be decided on; the guard answers 400. */
export interface MalformedTarget {
  malformed: string;
}

/**
 * Reads an origin-form request-target (`/path?query`). Refused: absolute-form
 * (`http://host/path`, which Express would still route by its path) and any
 * other form that does not start with `/`, escapes that do not decode as
 * UTF-8, and — as Dapr refuses them — `#`, `?`, NUL and control characters
 * once decoded.
 */
export function requestTargetOf(url: string): RequestTarget | MalformedTarget {
  if (url.charCodeAt(0) !== 47 /* / */) {
    return { malformed: `request-target "${printable(url)}" is not origin-form (absolute-form and authority-form are refused)` };
  }
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  if (raw.includes('#')) return { malformed: 'path contains "#"' };
  // Fast path: nothing to decode and nothing to resolve — both readings are the same string.
  if (!raw.includes('%') && !raw.includes('//') && !raw.includes('/.') && !hasControl(raw)) {
    const p = trimTrailingSlash(raw.toLowerCase());
    return { routerPath: p, daprPath: p };
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { malformed: `path "${printable(raw)}" has a percent-escape that does not decode` };
  }
  if (decoded.includes('?') || decoded.includes('#')) return { malformed: 'path contains an encoded "?" or "#"' };
  if (hasControl(decoded)) return { malformed: 'path contains NUL or a control character' };
  return { routerPath: routerReading(raw), daprPath: cleanPath(decoded.toLowerCase()) };
}

export function isMalformed(t: RequestTarget | MalformedTarget): t is MalformedTarget {
  return (t as MalformedTarget).malformed !== undefined;
}

function routerReading(raw: string): string {
  const segments = raw.split('/');
  for (let i = 1; i < segments.length; i++) {
    // Each segment decoded on its own; the whole path already decoded, so this cannot throw.
    segments[i] = decodeURIComponent(segments[i]).replace(/\//g, '%2f');
  }
  return trimTrailingSlash(segments.join('/').toLowerCase());
}

/** Go's `path.Clean` for a rooted path, which Dapr applies after decoding. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

function trimTrailingSlash(p: string): string {
  return p.length > 1 && p.charCodeAt(p.length - 1) === 47 ? p.slice(0, -1) : p;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function printable(s: string): string {
  const clipped = s.length > 200 ? `${s.slice(0, 200)}…` : s;
  let out = '';
  for (const ch of clipped) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
