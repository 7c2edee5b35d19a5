import { PROOF_LIFETIME_MS } from './call-proof';

const BUCKET_MS = 5_000;

/**
 * The nonces of accepted caller proofs, remembered for as long as a proof
 * with that timestamp could still be accepted (its time ± the proof
 * lifetime), so the same signed request is accepted once. Nonces are kept in
 * 5-second buckets by proof time and whole buckets are dropped when they age
 * out. Memory is bounded: past `maxEntries` the oldest bucket goes early, and
 * from then on proofs older than that bucket are refused — a replay is never
 * accepted, the window just shrinks under extreme load.
 */
export class NonceCache {
  private readonly buckets = new Map<number, Set<string>>();
  private size = 0;
  /** Proofs with a time below this are refused (raised when buckets are evicted early). */
  private floor = 0;

  constructor(private readonly maxEntries = 1_000_000) {}

  /** Records the nonce; false when it was already seen or is too old to be checked. */
  add(nonce: string, proofTime: number, now = Date.now()): boolean {
    this.expire(now);
    if (proofTime < this.floor) return false;
    const id = Math.floor(proofTime / BUCKET_MS);
    let bucket = this.buckets.get(id);
    if (bucket?.has(nonce)) return false;
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(id, bucket);
    }
    bucket.add(nonce);
    this.size++;
    while (this.size > this.maxEntries) this.evictOldest();
    return true;
  }

  get entries(): number {
    return this.size;
  }

  private expire(now: number): void {
    // A bucket may go once even its newest proof time is past the lifetime.
    const oldestLive = Math.floor((now - PROOF_LIFETIME_MS) / BUCKET_MS) - 1;
    for (const [id, bucket] of this.buckets) {
      if (id >= oldestLive) continue;
      this.size -= bucket.size;
      this.buckets.delete(id);
    }
  }

  private evictOldest(): void {
    let oldest = Infinity;
    for (const id of this.buckets.keys()) if (id < oldest) oldest = id;
    const bucket = this.buckets.get(oldest)!;
    this.size -= bucket.size;
    this.buckets.delete(oldest);
    this.floor = Math.max(this.floor, (oldest + 1) * BUCKET_MS);
  }
}
