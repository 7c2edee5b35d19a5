import type { TLSSocket } from 'node:tls';
import { spiffeIdOfCertificate, type SpiffeId } from './spiffe-id';

/** What a TLS client certificate says about the caller: a proven SPIFFE id, or why it proves nothing. */
export type PeerIdentity = { verified: SpiffeId } | { rejected: string };

const byConnection = new WeakMap<object, PeerIdentity | null>();

/**
 * The caller identity carried by the client certificate of the connection a
 * request came on; undefined for plain HTTP and for TLS without a client
 * certificate (the api-token path decides those). The TLS layer has already
 * checked the chain against the trust anchors (`socket.authorized`); here the
 * SPIFFE id is read from the certificate. Read once per connection: a
 * keep-alive connection carries many requests and one certificate.
 */
export function peerIdentityOf(socket: unknown): PeerIdentity | undefined {
  if (!socket || (socket as { encrypted?: boolean }).encrypted !== true) return undefined;
  let identity = byConnection.get(socket);
  if (identity === undefined) {
    identity = read(socket as TLSSocket);
    byConnection.set(socket, identity);
  }
  return identity ?? undefined;
}

function read(socket: TLSSocket): PeerIdentity | null {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return null;
  if (!socket.authorized) {
    return { rejected: `client certificate is not trusted (${String(socket.authorizationError ?? 'not verified')})` };
  }
  const id = spiffeIdOfCertificate(cert.subjectaltname);
  return 'error' in id ? { rejected: `client ${id.error}` } : { verified: id };
}
