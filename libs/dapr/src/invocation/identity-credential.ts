import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { formatSpiffeId, parseSpiffeId, type SpiffeId } from './spiffe-id';

/**
 * An app credential: the identity authority's statement "this Ed25519 public
 * key belongs to `spiffe://<td>/ns/<ns>/<app>` until `exp`". It is a compact
 * JWS (RFC 7515) signed with EdDSA, the key carried as an RFC 7800 `cnf`
 * confirmation claim, so standard JWT tooling can issue and read it.
 *
 * The callee learns a caller's public key from the credential the caller
 * presents, and trusts it only because the authority's signature checks out
 * against the authority key the callee was configured with — never from name
 * resolution, which any app can write to.
 */
export interface VerifiedCredential {
  id: SpiffeId;
  /** The app's public key (Ed25519), which signs its calls. */
  key: KeyObject;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

export const CREDENTIAL_TYPE = 'dapr-credential+jwt';
const MAX_LENGTH = 2048;
const B64URL = /^[A-Za-z0-9_-]+$/;
/** Tolerated clock difference for `iat`/`nbf` in the future. */
const SKEW_S = 60;

/** Issues a credential (the authority side: `npm run keys`, or your own tooling). */
export function issueCredential(
  authorityKey: KeyObject,
  appPublicKey: KeyObject,
  who: { trustDomain: string; namespace: string; appId: string },
  validSeconds: number,
  nowMs = Date.now(),
): string {
  const jwk = appPublicKey.export({ format: 'jwk' }) as { kty?: string; crv?: string; x?: string };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('the app key must be an Ed25519 public key');
  const iat = Math.floor(nowMs / 1000);
  const header = b64json({ alg: 'EdDSA', typ: CREDENTIAL_TYPE });
  const payload = b64json({
    sub: formatSpiffeId(who.trustDomain, who.namespace, who.appId),
    cnf: { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } },
    iat,
    exp: iat + validSeconds,
  });
  const signature = sign(null, Buffer.from(`${header}.${payload}`, 'ascii'), authorityKey);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/**
 * Checks a credential against the authority keys; a reason string when it
 * proves nothing (bad shape, other algorithm, wrong signature, expired, not a
 * Dapr SPIFFE id, not an Ed25519 key). `authorities: null` skips only the
 * signature — for an app reading its own credential without an authority.
 */
export function verifyCredential(
  credential: string,
  authorities: readonly KeyObject[] | null,
  nowMs = Date.now(),
): VerifiedCredential | string {
  if (typeof credential !== 'string' || credential.length > MAX_LENGTH) return 'credential is missing or too long';
  const parts = credential.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return 'credential is not a compact JWS';
  const header = json(parts[0]);
  // Only EdDSA, only our type, nothing the verifier would have to understand (`crit`), no embedded keys.
  if (!header || header.alg !== 'EdDSA' || header.typ !== CREDENTIAL_TYPE || 'crit' in header || 'jwk' in header || 'jku' in header || 'x5u' in header) {
    return 'credential header is not {"alg":"EdDSA","typ":"dapr-credential+jwt"}';
  }
  if (authorities !== null) {
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
    const signature = Buffer.from(parts[2], 'base64url');
    if (signature.length !== 64 || !authorities.some((a) => verify(null, signed, a, signature))) {
      return 'credential is not signed by a trusted identity authority';
    }
  }
  const claims = json(parts[1]);
  if (!claims) return 'credential claims are not a JSON object';
  const { sub, exp, iat, nbf, cnf } = claims as { sub?: unknown; exp?: unknown; iat?: unknown; nbf?: unknown; cnf?: { jwk?: Record<string, unknown> } };
  const nowS = nowMs / 1000;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'credential has no expiry (exp)';
  if (exp <= nowS) return `credential expired at ${new Date(exp * 1000).toISOString()}`;
  for (const t of [iat, nbf]) {
    if (t !== undefined && (typeof t !== 'number' || t > nowS + SKEW_S)) return 'credential is not valid yet (iat/nbf)';
  }
  const id = typeof sub === 'string' ? parseSpiffeId(sub) : undefined;
  if (!id) return 'credential subject is not a spiffe://<trust-domain>/ns/<namespace>/<app-id> id';
  const jwk = cnf !== null && typeof cnf === 'object' ? cnf.jwk : undefined;
  if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) {
    return 'credential does not carry an Ed25519 key (cnf.jwk)';
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  } catch {
    return 'credential key does not parse';
  }
  return { id, key, expiresAt: exp * 1000 };
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

function json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
