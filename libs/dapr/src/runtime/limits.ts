import type { DaprLimitsOptions } from './dapr-module-options.interface';
import { ComponentConfigError } from '../errors/component-config.error';
import { parseQuantity } from '../spi/kit/metadata/go-values';

/** The limits in force, every one a positive number. */
export interface ResolvedLimits {
  maxBodyBytes: number;
  invokeTimeoutMs: number;
  handlerTimeoutMs: number;
  drainTimeoutMs: number;
}

/** Dapr's default `--max-body-size` (4Mi). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  invokeTimeoutMs: 60_000,
  handlerTimeoutMs: 60_000,
  drainTimeoutMs: 10_000,
});

/** The `limits` option with defaults applied; a bad value stops start-up naming the field. */
export function resolveLimits(limits: DaprLimitsOptions | undefined): ResolvedLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  if (limits === null || typeof limits !== 'object') throw new ComponentConfigError('must be an object', undefined, undefined, 'limits');
  const out: ResolvedLimits = { ...DEFAULT_LIMITS };
  if (limits.maxBodySize !== undefined) {
    const v = limits.maxBodySize;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseQuantity(v) : undefined;
    if (n === undefined || !Number.isSafeInteger(n) || n <= 0) {
      throw new ComponentConfigError(`limits.maxBodySize must be a positive number of bytes or a quantity such as "4Mi", got ${JSON.stringify(v)}`, undefined, undefined, 'limits.maxBodySize');
    }
    out.maxBodyBytes = n;
  }
  for (const key of ['invokeTimeoutMs', 'handlerTimeoutMs', 'drainTimeoutMs'] as const) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ComponentConfigError(`limits.${key} must be a positive number of milliseconds, got ${JSON.stringify(v)}`, undefined, undefined, `limits.${key}`);
    }
    out[key] = v;
  }
  return out;
}
