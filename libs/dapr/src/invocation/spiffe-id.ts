/** A Dapr workload identity: `spiffe://<trustDomain>/ns/<namespace>/<appId>`. */
export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  appId: string;
  /** The URI itself. */
  uri: string;
}

/**
 * The SPIFFE ID grammar go-spiffe enforces (which Dapr uses): lower-case
 * `spiffe://`, a trust domain of `[a-z0-9._-]` only (so no upper case,
 * userinfo or port), path segments of `[A-Za-z0-9._-]` that are neither empty
 * nor `.` / `..`, no percent-encoding, query or fragment. Dapr's form is
 * exactly `/ns/<namespace>/<app-id>` here.
 */
const DAPR_SPIFFE = /^spiffe:\/\/([a-z0-9._-]{1,255})\/ns\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)$/;
const MAX_SPIFFE_ID = 2048;

export function formatSpiffeId(trustDomain: string, namespace: string, appId: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/${appId}`;
}

export function parseSpiffeId(uri: string): SpiffeId | undefined {
  if (typeof uri !== 'string' || uri.length > MAX_SPIFFE_ID) return undefined;
  const m = DAPR_SPIFFE.exec(uri);
  if (!m || isDotSegment(m[2]) || isDotSegment(m[3])) return undefined;
  return { trustDomain: m[1], namespace: m[2], appId: m[3], uri };
}

function isDotSegment(s: string): boolean {
  return s === '.' || s === '..';
}

/**
 * The SPIFFE URIs among a certificate's subject alternative names, as node
 * renders them (`URI:spiffe://td/ns/x/app, DNS:localhost, IP Address:...`).
 * Node quotes a value that contains a comma or quote; a SPIFFE id never does,
 * so an entry that needs quoting is not one.
 */
export function spiffeUrisOf(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const uris: string[] = [];
  for (const entry of subjectAltName.split(', ')) {
    if (entry.startsWith('URI:spiffe://')) uris.push(entry.slice(4));
  }
  return uris;
}

/**
 * The one Dapr SPIFFE id of a certificate. An X.509 SVID carries exactly one
 * SPIFFE URI; none, several, or one not in Dapr's `/ns/<ns>/<app>` form is an
 * error, returned as a reason for the caller to report.
 */
export function spiffeIdOfCertificate(subjectAltName: string | undefined): SpiffeId | { error: string } {
  const uris = spiffeUrisOf(subjectAltName);
  if (uris.length === 0) return { error: 'certificate has no SPIFFE URI subject alternative name' };
  if (uris.length > 1) return { error: `certificate has ${uris.length} SPIFFE URIs (${uris.join(', ')}); an SVID has exactly one` };
  return parseSpiffeId(uris[0]) ?? { error: `SPIFFE id ${uris[0]} is not of the form spiffe://<trust-domain>/ns/<namespace>/<app-id>` };
}
