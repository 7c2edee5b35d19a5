import type { PeerCertificate } from 'node:tls';
import { CalleeIdentityError } from '../errors/mtls.errors';
import { formatSpiffeId, spiffeUrisOf } from './spiffe-id';
import type { WorkloadIdentity } from './workload-identity';

/**
 * undici `connect` options for calling `calleeAppId` at `origin` over mutual
 * TLS: present this app's certificate, trust only our anchors, and accept the
 * server only if its certificate names the callee
 * (`spiffe://<td>/ns/<ns>/<callee>`, in the caller's trust domain; the
 * namespace is the one the target named (`app.namespace`), else the caller's,
 * where name resolution looks it up). Host names in the server
 * certificate are not checked: the SPIFFE id is the identity, as between
 * Dapr sidecars. A mismatch fails the connection with CalleeIdentityError
 * before any request is written.
 */
export function mtlsConnectOptions(identity: WorkloadIdentity, calleeAppId: string, calleeNamespace: string | undefined, origin: string) {
  const expected = formatSpiffeId(identity.id.trustDomain, calleeNamespace ?? identity.id.namespace, calleeAppId);
  return {
    ca: identity.ca,
    cert: identity.cert,
    key: identity.key,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const uris = spiffeUrisOf(cert.subjectaltname);
      if (uris.length === 1 && uris[0] === expected) return undefined;
      return new CalleeIdentityError(calleeAppId, origin, expected, uris.length ? uris.join(', ') : undefined);
    },
    // A resumed TLS session skips checkServerIdentity; without the cache every
    // connection is checked. Keep-alive pooling makes new handshakes rare.
    maxCachedSessions: 0,
  };
}
