import { celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import type { ConfigSource } from '../errors/component-config.error';
import { ResiliencyConfigError } from '../errors/resiliency.errors';
import { parseDuration } from '../spi/kit/duration';
import type { BreakerCounts, CompiledResiliency, TargetPolicyNames } from './resiliency-spec';
import { StatusCodeRanges } from './status-code-ranges';

/** Dapr's defaults (`dapr:pkg/resiliency`, kit backoff). */
const DEFAULT_CONSTANT_MS = 5_000;
const DEFAULT_MAX_INTERVAL_MS = 60_000;
const DEFAULT_TRIP = 'consecutiveFailures > 5';
const DEFAULT_CB_TIMEOUT_MS = 60_000;

const celEnvironment = celEnv();
const ZERO_COUNTS = { requests: 0n, totalSuccesses: 0n, totalFailures: 0n, consecutiveSuccesses: 0n, consecutiveFailures: 0n };

type Obj = Record<string, unknown>;

/** One resource to merge: its spec, where it came from, and its name for messages. */
export interface ResiliencySource {
  name: string;
  spec: unknown;
  source?: ConfigSource;
}

/**
 * Validates and merges Resiliency specs (YAML resources and the inline option)
 * into one model. Every problem is a start-up `ResiliencyConfigError` naming
 * the file and the dotted field path, as Dapr refuses to load a bad spec.
 */
export function compileResiliency(sources: ResiliencySource[], into: CompiledResiliency): CompiledResiliency {
  for (const s of sources) compileOne(s, into);
  for (const s of sources) checkReferences(s, into);
  return into;
}

function compileOne(src: ResiliencySource, out: CompiledResiliency): void {
  const fail = (field: string, msg: string): never => {
    throw new ResiliencyConfigError(msg, src.source, src.name, field);
  };
  const spec = asObject(src.spec ?? {}, 'spec', fail);
  const policies = asObject(spec.policies ?? {}, 'spec.policies', fail);

  for (const [name, raw] of entries(policies.timeouts, 'spec.policies.timeouts', fail)) {
    const field = `spec.policies.timeouts.${name}`;
    out.timeouts.set(name, { name, ms: duration(raw, field, fail, false) });
  }

  for (const [name, raw] of entries(policies.retries, 'spec.policies.retries', fail)) {
    const f = `spec.policies.retries.${name}`;
    const r = asObject(raw, f, fail);
    const policy = (r.policy ?? 'constant') as string;
    if (policy !== 'constant' && policy !== 'exponential') fail(`${f}.policy`, `"${policy}" is not constant or exponential`);
    const maxRetries = r.maxRetries === undefined ? -1 : integer(r.maxRetries, `${f}.maxRetries`, fail);
    if (maxRetries < -1) fail(`${f}.maxRetries`, 'must be -1 (unlimited), 0 or more');
    const matching = r.matching === undefined ? {} : asObject(r.matching, `${f}.matching`, fail);
    out.retries.set(name, {
      name,
      policy: policy as 'constant' | 'exponential',
      durationMs: r.duration === undefined ? DEFAULT_CONSTANT_MS : duration(r.duration, `${f}.duration`, fail, true),
      maxIntervalMs: r.maxInterval === undefined ? DEFAULT_MAX_INTERVAL_MS : duration(r.maxInterval, `${f}.maxInterval`, fail, false),
      maxRetries,
      httpStatusCodes: codes(matching.httpStatusCodes, `${f}.matching.httpStatusCodes`, 100, 599, fail),
      grpcStatusCodes: codes(matching.gRPCStatusCodes, `${f}.matching.gRPCStatusCodes`, 0, 16, fail),
    });
  }

  for (const [name, raw] of entries(policies.circuitBreakers, 'spec.policies.circuitBreakers', fail)) {
    const f = `spec.policies.circuitBreakers.${name}`;
    const cb = asObject(raw, f, fail);
    const maxRequests = cb.maxRequests === undefined ? 1 : integer(cb.maxRequests, `${f}.maxRequests`, fail);
    if (maxRequests < 1) fail(`${f}.maxRequests`, 'must be 1 or more');
    const trip = cb.trip === undefined ? DEFAULT_TRIP : String(cb.trip);
    out.circuitBreakers.set(name, {
      name,
      maxRequests,
      intervalMs: cb.interval === undefined ? 0 : duration(cb.interval, `${f}.interval`, fail, true),
      timeoutMs: cb.timeout === undefined ? DEFAULT_CB_TIMEOUT_MS : duration(cb.timeout, `${f}.timeout`, fail, true),
      trip,
      evaluate: compileTrip(trip, `${f}.trip`, fail),
    });
  }

  const targets = asObject(spec.targets ?? {}, 'spec.targets', fail);
  for (const [appId, raw] of entries(targets.apps, 'spec.targets.apps', fail)) {
    out.apps.set(appId, names(raw, `spec.targets.apps.${appId}`, fail));
  }
  for (const [component, raw] of entries(targets.components, 'spec.targets.components', fail)) {
    const f = `spec.targets.components.${component}`;
    const c = asObject(raw, f, fail);
    for (const key of Object.keys(c)) {
      if (key !== 'inbound' && key !== 'outbound') fail(`${f}.${key}`, 'only inbound and outbound are allowed');
    }
    out.components.set(component, {
      inbound: c.inbound === undefined ? undefined : names(c.inbound, `${f}.inbound`, fail),
      outbound: c.outbound === undefined ? undefined : names(c.outbound, `${f}.outbound`, fail),
    });
  }
}

/** A target naming a policy that no resource defines is a configuration error, not a silent no-op. */
function checkReferences(src: ResiliencySource, model: CompiledResiliency): void {
  const spec = (src.spec ?? {}) as Obj;
  const targets = (spec.targets ?? {}) as Obj;
  const check = (t: TargetPolicyNames | undefined, field: string) => {
    if (!t) return;
    const bad = (kind: string, name: string) => {
      throw new ResiliencyConfigError(`${kind} policy "${name}" is not defined in spec.policies`, src.source, src.name, field);
    };
    if (t.timeout !== undefined && !model.timeouts.has(t.timeout)) bad('timeout', t.timeout);
    if (t.retry !== undefined && !model.retries.has(t.retry)) bad('retry', t.retry);
    if (t.circuitBreaker !== undefined && !model.circuitBreakers.has(t.circuitBreaker)) bad('circuitBreaker', t.circuitBreaker);
  };
  for (const appId of Object.keys((targets.apps ?? {}) as Obj)) check(model.apps.get(appId), `spec.targets.apps.${appId}`);
  for (const c of Object.keys((targets.components ?? {}) as Obj)) {
    const t = model.components.get(c);
    check(t?.inbound, `spec.targets.components.${c}.inbound`);
    check(t?.outbound, `spec.targets.components.${c}.outbound`);
  }
}

type Fail = (field: string, msg: string) => never;

function compileTrip(expr: string, field: string, fail: Fail): (counts: BreakerCounts) => CelResult {
  let program: (ctx: Record<string, bigint>) => CelResult;
  try {
    program = plan(celEnvironment, parse(expr)) as (ctx: Record<string, bigint>) => CelResult;
  } catch (err) {
    return fail(field, `invalid CEL "${expr}": ${(err as Error).message}`);
  }
  // Evaluate once over zero counters: catches unknown variables and non-bool results at start-up.
  const probe = program(ZERO_COUNTS);
  if (isCelError(probe)) fail(field, `"${expr}" does not evaluate: ${probe.message}`);
  if (typeof probe !== 'boolean') fail(field, `"${expr}" must return a bool`);
  return (c) =>
    program({
      requests: BigInt(c.requests),
      totalSuccesses: BigInt(c.totalSuccesses),
      totalFailures: BigInt(c.totalFailures),
      consecutiveSuccesses: BigInt(c.consecutiveSuccesses),
      consecutiveFailures: BigInt(c.consecutiveFailures),
    });
}

function names(raw: unknown, field: string, fail: Fail): TargetPolicyNames {
  const o = asObject(raw, field, fail);
  const out: TargetPolicyNames = {};
  for (const key of ['timeout', 'retry', 'circuitBreaker'] as const) {
    const v = o[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') fail(`${field}.${key}`, 'must be a policy name');
    out[key] = v as string;
  }
  return out;
}

function codes(raw: unknown, field: string, min: number, max: number, fail: Fail): StatusCodeRanges | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = StatusCodeRanges.parse(String(raw), min, max);
  if (typeof parsed === 'string') fail(field, parsed);
  return parsed as StatusCodeRanges;
}

function duration(raw: unknown, field: string, fail: Fail, allowZero: boolean): number {
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (ms === undefined) return fail(field, `"${String(raw)}" is not a Go duration such as 5s or 250ms`);
  if (!allowZero && ms <= 0) fail(field, 'must be greater than zero');
  return ms;
}

function integer(raw: unknown, field: string, fail: Fail): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) return fail(field, `"${String(raw)}" is not an integer`);
  return n;
}

function asObject(raw: unknown, field: string, fail: Fail): Obj {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(field, 'must be a mapping');
  return raw as Obj;
}

function entries(raw: unknown, field: string, fail: Fail): [string, unknown][] {
  if (raw === undefined || raw === null) return [];
  return Object.entries(asObject(raw, field, fail));
}
