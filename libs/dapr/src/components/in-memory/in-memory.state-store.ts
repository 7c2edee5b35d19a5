import { decodeMetadata } from '../../spi/kit/metadata';
import { IN_MEMORY_STATE_METADATA } from './in-memory.metadata';
import { randomUUID } from 'node:crypto';
import { ETagMismatchError } from '../../errors/state.errors';
import { evaluateStateQuery, type QueryCandidate } from '../../spi/kit/state-query.evaluator';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  StateDeleteRequest,
  StateFeature,
  StateGetRequest,
  StateGetResponse,
  StateQueryDriverResponse,
  StateQueryRequest,
  StateSetRequest,
  StateStoreDriver,
  StateTransactionOperation,
} from '../../spi/state.spi';

interface Entry {
  data: Buffer;
  isBinary: boolean;
  etag: string;
  /** Epoch ms; absent = no TTL. */
  expiresAt?: number;
}

const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'];

/**
 * `state.in-memory` (components-contrib `state/in-memory`): the reference
 * semantics. UUID ETags regenerated on every write; an ETag on a missing or
 * expired key is a mismatch; `first-write` without an ETag on an existing key
 * is a mismatch; transactions check every ETag before applying anything.
 * Expired items are invisible at once and swept every `cleanupInterval` (10s).
 */
export class InMemoryStateStore implements StateStoreDriver {
  private readonly items = new Map<string, Entry>();
  private sweeper?: NodeJS.Timeout;

  async init(md: ComponentMetadata): Promise<void> {
    const every = decodeMetadata(IN_MEMORY_STATE_METADATA, md).cleanupInterval;
    if (every > 0) {
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.items.clear();
  }

  async get(req: StateGetRequest): Promise<StateGetResponse | undefined> {
    const e = this.live(req.key, Date.now());
    if (!e) return undefined;
    const res: StateGetResponse = { data: e.data, isBinary: e.isBinary, etag: e.etag };
    if (e.expiresAt !== undefined) res.metadata = { ttlExpireTime: new Date(e.expiresAt).toISOString() };
    return res;
  }

  async set(req: StateSetRequest): Promise<void> {
    const now = Date.now();
    this.checkSet(req, this.live(req.key, now));
    this.items.set(req.key, this.entryOf(req, now));
  }

  async delete(req: StateDeleteRequest): Promise<void> {
    const now = Date.now();
    this.checkDelete(req, this.live(req.key, now));
    this.items.delete(req.key);
  }

  async multi(operations: StateTransactionOperation[]): Promise<void> {
    const now = Date.now();
    // Stage every change in order, checking each ETag against the staged view;
    // nothing touches the store until all operations passed.
    const staged = new Map<string, Entry | null>();
    const current = (key: string) => (staged.has(key) ? (staged.get(key) ?? undefined) : this.live(key, now));
    for (const op of operations) {
      if (op.operation === 'upsert') {
        this.checkSet(op.request, current(op.request.key));
        staged.set(op.request.key, this.entryOf(op.request, now));
      } else {
        this.checkDelete(op.request, current(op.request.key));
        staged.set(op.request.key, null);
      }
    }
    for (const [key, e] of staged) {
      if (e) this.items.set(key, e);
      else this.items.delete(key);
    }
  }

  async query(req: StateQueryRequest): Promise<StateQueryDriverResponse> {
    const now = Date.now();
    const prefix = req.keyPrefix ?? '';
    const candidates: QueryCandidate<{ key: string; e: Entry }>[] = [];
    for (const [key, e] of this.items) {
      if (!key.startsWith(prefix) || e.isBinary || (e.expiresAt !== undefined && e.expiresAt <= now)) continue;
      let value: unknown;
      try {
        value = JSON.parse(e.data.toString('utf8'));
      } catch {
        continue;
      }
      candidates.push({ value, row: { key, e } });
    }
    const { rows, token } = evaluateStateQuery(candidates, req.parsed);
    return {
      results: rows.map(({ key, e }) => ({ key, data: e.data, isBinary: e.isBinary, etag: e.etag })),
      token,
    };
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.items.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= now) {
      this.items.delete(key);
      return undefined;
    }
    return e;
  }

  private checkSet(req: StateSetRequest, existing: Entry | undefined): void {
    if (req.etag !== undefined) {
      if (!existing || existing.etag !== req.etag) throw new ETagMismatchError(req.key);
    } else if (existing && req.options?.concurrency === 'first-write') {
      throw new ETagMismatchError(req.key, 'item already exists and no etag was passed');
    }
  }

  private checkDelete(req: StateDeleteRequest, existing: Entry | undefined): void {
    if (req.etag !== undefined && (!existing || existing.etag !== req.etag)) throw new ETagMismatchError(req.key);
  }

  private entryOf(req: StateSetRequest, now: number): Entry {
    // Copy: the caller may reuse its buffer after the call.
    const e: Entry = { data: Buffer.from(req.value), isBinary: req.isBinary, etag: randomUUID() };
    if (req.ttlInSeconds !== undefined && req.ttlInSeconds > 0) e.expiresAt = now + req.ttlInSeconds * 1000;
    return e;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, e] of this.items) {
      if (e.expiresAt !== undefined && e.expiresAt <= now) this.items.delete(key);
    }
  }
}
