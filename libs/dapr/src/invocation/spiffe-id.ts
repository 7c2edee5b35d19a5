/** A Dapr workload identity: `spiffe://<trustDomain>/ns/<namespace>/<appId>`. */
export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  appId: string;
  /** The URI itself. */
  uri: string;
}

const DAPR_SPIFFE = /^spiffe:\/\/([^/?#]+)\/ns\/([^/?#]+)\/([^/?#]+)$/;

export function formatSpiffeId(trustDomain: string, namespace: string, appId: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/${appId}`;
}

export function parseSpiffeId(uri: string): SpiffeId | undefined {
  const m = DAPR_SPIFFE.exec(uri);
  return m ? { trustDomain: m[1], namespace: m[2], appId: m[3], uri } : undefined;
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
