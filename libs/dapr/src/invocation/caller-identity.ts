import { createHmac, createSecretKey, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import {
  formatProof,
  isFresh,
  newNonce,
  parseProofs,
  proofPayload,
  type CallProof,
  type SignedCall,
} from './call-proof';

export type { SignedCall } from './call-proof';

/**
 * Token mode of caller identity (`apiToken` / `APP_API_TOKEN`). The token
 * itself never leaves the process: an HMAC key is derived from it (HKDF), and
 * each call carries only an HMAC over the call (`SignedCall`), a timestamp and
 * a nonce. A callee or eavesdropper that does not hold the token learns
 * nothing it can sign with, and cannot replay or re-aim what it saw (the
 * callee keeps a nonce cache, see `NonceCache`).
 *
 * What it proves is membership: the caller holds the token. Every app that
 * holds it can sign as any app id — give apps that must not be able to
 * impersonate each other per-app keys (`identity`) or mTLS instead.
 */
export class CallerIdentity {
  private readonly key: KeyObject;
  private readonly tokenBytes: Buffer;

  constructor(token: string) {
    this.tokenBytes = Buffer.from(token, 'utf8');
    this.key = createSecretKey(Buffer.from(hkdfSync('sha256', this.tokenBytes, 'nest-dapr', 'caller-identity/v2', 32)));
  }

  /** The `dapr-caller-signature` value for one call. */
  sign(call: SignedCall, now = Date.now(), nonce = newNonce()): string {
    return formatProof('hs256', now, nonce, this.mac(call, now, nonce));
  }

  /**
   * Checks the `hs256` proof in a `dapr-caller-signature` header; returns it
   * (for the nonce cache) or undefined. Replays are the caller's to refuse
   * with the nonce; this only checks the signature and the lifetime.
   */
  verify(header: string | undefined, call: SignedCall, now = Date.now()): CallProof | undefined {
    for (const proof of parseProofs(header)) {
      if (proof.alg !== 'hs256' || !isFresh(proof.t, now)) continue;
      if (timingSafeEqual(this.mac(call, proof.t, proof.nonce), proof.signature)) return proof;
    }
    return undefined;
  }

  /** Constant-time comparison of a presented token (for a sidecar's `dapr-api-token`). */
  tokenMatches(presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const b = Buffer.from(presented, 'utf8');
    return b.length === this.tokenBytes.length && timingSafeEqual(b, this.tokenBytes);
  }

  private mac(call: SignedCall, t: number, nonce: string): Buffer {
    return createHmac('sha256', this.key).update(proofPayload(call, 'hs256', t, nonce)).digest();
  }
}
