import { StateRequestInvalidError } from '../errors/state.errors';
import type { StateConcurrencyMode, StateConsistencyMode } from './state.interfaces';

const CONCURRENCY = ['first-write', 'last-write'];
const CONSISTENCY = ['strong', 'eventual'];

/** Dapr's `CheckRequestOptions`: only the two known models (or none) are accepted. */
export function checkOptions(options: { concurrency?: string; consistency?: string } | undefined): {
  concurrency?: StateConcurrencyMode;
  consistency?: StateConsistencyMode;
} | undefined {
  if (!options) return undefined;
  const { concurrency, consistency } = options;
  if (concurrency !== undefined && concurrency !== '' && !CONCURRENCY.includes(concurrency)) {
    throw new StateRequestInvalidError(`unrecognized concurrency model "${concurrency}" (first-write or last-write)`);
  }
  if (consistency !== undefined && consistency !== '' && !CONSISTENCY.includes(consistency)) {
    throw new StateRequestInvalidError(`unrecognized consistency model "${consistency}" (strong or eventual)`);
  }
  if (!concurrency && !consistency) return undefined;
  return {
    concurrency: (concurrency || undefined) as StateConcurrencyMode | undefined,
    consistency: (consistency || undefined) as StateConsistencyMode | undefined,
  };
}

/** An empty ETag means "no ETag", as in Dapr. */
export function normalizeEtag(etag: string | undefined | null): string | undefined {
  if (etag === undefined || etag === null || etag === '') return undefined;
  if (typeof etag !== 'string') throw new StateRequestInvalidError(`etag must be a string, got ${typeof etag}`);
  return etag;
}

/**
 * Reads `ttlInSeconds` from request metadata (name matched case-insensitively).
 * Returns undefined when absent; `-1` (any value <= 0) means "never expire".
 */
export function parseTtl(metadata: Record<string, string> | undefined): number | undefined {
  if (!metadata) return undefined;
  let raw: unknown;
  for (const k in metadata) {
    if (k === 'ttlInSeconds' || k.toLowerCase() === 'ttlinseconds') raw = metadata[k];
  }
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = String(raw).trim();
  if (!/^[-+]?\d+$/.test(text)) {
    throw new StateRequestInvalidError(
      `metadata ttlInSeconds "${String(raw)}" is not an integer number of seconds (use -1 to never expire)`,
    );
  }
  const ttl = Number(text);
  if (!Number.isSafeInteger(ttl) || ttl < -1) {
    throw new StateRequestInvalidError(`metadata ttlInSeconds must be -1 or greater, got "${String(raw)}"`);
  }
  return ttl;
}

/** Metadata values reach drivers as strings (they come from HTTP query params in Dapr). */
export function stringifyMetadata(metadata: Record<string, unknown> | undefined): Record<string, string> {
  if (!metadata) return {};
  let plain = true;
  for (const k in metadata) {
    if (typeof metadata[k] !== 'string') {
      plain = false;
      break;
    }
  }
  if (plain) return metadata as Record<string, string>;
  const out: Record<string, string> = {};
  for (const k in metadata) if (metadata[k] !== undefined && metadata[k] !== null) out[k] = String(metadata[k]);
  return out;
}
