import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SIGNATURE_WINDOW_MS } from './invocation.constants';

const REUSE_MS = 1_000;
const REUSE_CAP = 1_024;

/** What a signature covers: who calls whom, from which namespace, when, and which verb + path. */
export interface SignedCall {
  caller: string;
  callee: string;
  namespace: string;
  method: string;
  path: string;
}

/**
 * Signs and checks caller identities with the shared API token (`APP_API_TOKEN`).
 * A bare `dapr-caller-app-id` header is only a claim; the HMAC binds it to the
 * callee, verb, path and a timestamp so that a signature cannot be reused for
 * another app id, another callee or another route, and expires after a minute.
 */
export class CallerIdentity {
  private readonly key: KeyObject;
  private readonly tokenBytes: Buffer;
  private readonly recent = new Map<string, { at: number; signature: string }>();

  constructor(token: string) {
    this.key = createSecretKey(Buffer.from(token, 'utf8'));
    this.tokenBytes = Buffer.from(token, 'utf8');
  }

  sign(call: SignedCall, now = Date.now()): string {
    return `t=${now},v1=${this.mac(call, now)}`;
  }

  /**
   * `sign`, reusing a signature made for the same call less than a second ago.
   * A signature may be replayed for its whole minute anyway, so reusing it for
   * one more second weakens nothing and saves an HMAC per request on hot routes.
   */
  signReusing(call: SignedCall, now = Date.now()): string {
    const key = `${call.caller}\n${call.callee}\n${call.namespace}\n${call.method}\n${call.path}`;
    const hit = this.recent.get(key);
    if (hit && now - hit.at < REUSE_MS && now >= hit.at) return hit.signature;
    // Paths with ids in them would grow the map without bound: start over past a cap.
    if (this.recent.size >= REUSE_CAP) this.recent.clear();
    const signature = this.sign(call, now);
    this.recent.set(key, { at: now, signature });
    return signature;
  }

  /** Constant-time comparison of a presented `dapr-api-token`. */
  tokenMatches(presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const b = Buffer.from(presented, 'utf8');
    return b.length === this.tokenBytes.length && timingSafeEqual(b, this.tokenBytes);
  }

  verify(signature: unknown, call: SignedCall, now = Date.now()): boolean {
    if (typeof signature !== 'string') return false;
    const m = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(signature);
    if (!m) return false;
    const ts = Number(m[1]);
    if (Math.abs(now - ts) > SIGNATURE_WINDOW_MS) return false;
    const expected = Buffer.from(this.mac(call, ts), 'hex');
    return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
  }

  private mac(call: SignedCall, ts: number): string {
    return createHmac('sha256', this.key)
      .update(`${call.caller}\n${call.callee}\n${call.namespace}\n${ts}\n${call.method.toUpperCase()}\n${call.path}`)
      .digest('hex');
  }
}
