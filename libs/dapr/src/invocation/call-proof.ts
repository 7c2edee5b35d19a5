import { createHash, randomFillSync } from 'node:crypto';
import { SIGNATURE_WINDOW_MS } from './invocation.constants';

/**
 * What a caller proof covers: who calls whom (app id and namespace on both
 * sides), the verb, the request-target exactly as sent (path and query), and
 * the SHA-256 of the body bytes. The proof adds a timestamp and a nonce, so a
 * captured request can be neither replayed nor re-aimed at another app,
 * route or body.
 */
export interface SignedCall {
  caller: string;
  /** The caller's namespace; '' means "default". */
  namespace: string;
  callee: string;
  /** The callee's namespace; '' or undefined means "default". */
  calleeNamespace?: string;
  method: string;
  path: string;
  /** base64url SHA-256 of the body bytes (`bodyDigestOf`). */
  bodyDigest: string;
}

export type ProofAlgorithm = 'hs256' | 'ed25519';

/** One parsed `dapr-caller-signature` entry: `v2;<alg>;<unix ms>;<nonce>;<signature>`. */
export interface CallProof {
  alg: ProofAlgorithm;
  t: number;
  nonce: string;
  signature: Buffer;
}

/** How long a proof is accepted, either side of the callee's clock. */
export const PROOF_LIFETIME_MS = SIGNATURE_WINDOW_MS;

const PROOF = /^v2;(hs256|ed25519);(\d{13});([A-Za-z0-9_-]{22});([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{86})$/;
const SIG_LENGTH: Record<ProofAlgorithm, number> = { hs256: 43, ed25519: 86 };

export const EMPTY_BODY_DIGEST = createHash('sha256').digest('base64url');

export function bodyDigestOf(payload: string | Uint8Array | undefined | null): string {
  if (payload === undefined || payload === null || payload.length === 0) return EMPTY_BODY_DIGEST;
  return createHash('sha256').update(payload).digest('base64url');
}

/**
 * The bytes that are signed. A JSON array: every field is delimited, so no
 * value can be shifted into its neighbour (an app id ending where a path
 * begins). Namespaces are normalised ('' = "default") on both sides.
 */
export function proofPayload(call: SignedCall, alg: ProofAlgorithm, t: number, nonce: string): Buffer {
  return Buffer.from(
    JSON.stringify([
      'nest-dapr-call/v2',
      alg,
      call.caller,
      call.namespace || 'default',
      call.callee,
      call.calleeNamespace || 'default',
      call.method.toUpperCase(),
      call.path,
      call.bodyDigest,
      t,
      nonce,
    ]),
    'utf8',
  );
}

export function formatProof(alg: ProofAlgorithm, t: number, nonce: string, signature: Buffer): string {
  return `v2;${alg};${t};${nonce};${signature.toString('base64url')}`;
}

/**
 * The entries of a `dapr-caller-signature` header (a caller configured for
 * both modes sends one of each, comma-separated). Anything that is not
 * exactly the expected shape is ignored: it proves nothing.
 */
export function parseProofs(header: string | undefined): CallProof[] {
  if (typeof header !== 'string' || header.length > 512) return [];
  const out: CallProof[] = [];
  for (const part of header.split(',')) {
    const m = PROOF.exec(part.trim());
    if (!m) continue;
    const alg = m[1] as ProofAlgorithm;
    if (m[4].length !== SIG_LENGTH[alg]) continue;
    out.push({ alg, t: Number(m[2]), nonce: m[3], signature: Buffer.from(m[4], 'base64url') });
  }
  return out;
}

/** True when `t` lies within the proof lifetime of `now`. */
export function isFresh(t: number, now: number): boolean {
  return Math.abs(now - t) <= PROOF_LIFETIME_MS;
}

// 128-bit nonces from a pooled buffer: one RNG call per 256 proofs.
const POOL = Buffer.allocUnsafe(16 * 256);
let offset = POOL.length;

export function newNonce(): string {
  if (offset + 16 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const nonce = POOL.toString('base64url', offset, offset + 16);
  offset += 16;
  return nonce;
}
