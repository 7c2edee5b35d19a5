import { celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import type { ConfigSource } from '../errors/component-config.error';
import { ResiliencyConfigError } from '../errors/resiliency.errors';
import { decodeDuration } from '../spi/kit/metadata/metadata-decoder';
import { parseGoFloat, parseGoInt } from '../spi/kit/metadata/go-values';
import type { BreakerCounts, CompiledResiliency, TargetPolicyNames } from './resiliency-spec';
import { StatusCodeRanges } from './status-code-ranges';

/**
 * Dapr's defaults: dapr/kit `retry.DefaultConfig()` (cenkalti/backoff's
 * exponential defaults) and the breaker's `consecutiveFailures > 5` / 60 s.
 */
const DEFAULT_CONSTANT_MS = 5_000;
const DEFAULT_INITIAL_INTERVAL_MS = 500;
const DEFAULT_MULTIPLIER = 1.5;
const DEFAULT_RANDOMIZATION = 0.5;
const DEFAULT_MAX_INTERVAL_MS = 60_000;
const DEFAULT_MAX_ELAPSED_MS = 15 * 60_000;
const DEFAULT_TRIP = 'consecutiveFailures > 5';
const DEFAULT_CB_TIMEOUT_MS = 60_000;

/** Dapr's built-in retry policies a Resiliency may override (`pkg/resiliency/resiliency.go`). */
export const BUILT_IN_RETRY_POLICIES = [
  'DaprBuiltInServiceRetries',
  'DaprBuiltInActorRetries',
  'DaprBuiltInActorReminderRetries',
  'DaprBuiltInInitializationRetries',
] as const;
/** Dapr refuses overrides of this one and keeps its own. */
const PROTECTED_POLICIES = ['DaprBuiltInActorNotFoundRetries'];

const celEnvironment = celEnv();
const ZERO_COUNTS = { requests: 0n, totalSuccesses: 0n, totalFailures: 0n, consecutiveSuccesses: 0n, consecutiveFailures: 0n };

type Obj = Record<string, unknown>;

/** One resource to merge: its spec, where it came from, and its name for messages. */
export interface ResiliencySource {
  name: string;
  spec: unknown;
  source?: ConfigSource;
}

/** What `compileResiliency` reports instead of stopping: resources skipped and references ignored. */
export interface ResiliencyProblems {
  /** A resource that did not decode; it was left out whole. */
  skipped: ResiliencyConfigError[];
  /** Warnings that changed nothing fatal (unknown policy references, built-in overrides adjusted). */
  warnings: string[];
}

/**
 * Validates and merges Resiliency specs (YAML resources and the inline option)
 * into one model. As daprd does, a resource that does not decode is logged and
 * skipped (here: left out whole, never half-applied) and a target naming a
 * policy nobody defines gets no policy of that kind; both are reported in
 * `problems` with the file and the dotted field path. `strict` sources (the
 * inline option, written in code) throw instead.
 */
export function compileResiliency(
  sources: ResiliencySource[],
  into: CompiledResiliency,
  problems: ResiliencyProblems = { skipped: [], warnings: [] },
  strict: (src: ResiliencySource) => boolean = () => true,
): CompiledResiliency {
  const accepted: ResiliencySource[] = [];
  for (const s of sources) {
    const staged = emptyStage();
    try {
      compileOne(s, staged, problems.warnings);
    } catch (err) {
      if (strict(s) || !(err instanceof ResiliencyConfigError)) throw err;
      problems.skipped.push(err);
      continue;
    }
    merge(staged, into);
    accepted.push(s);
  }
  for (const s of accepted) checkReferences(s, into, problems.warnings);
  return into;
}

function emptyStage(): CompiledResiliency {
  return { timeouts: new Map(), retries: new Map(), circuitBreakers: new Map(), apps: new Map(), components: new Map() };
}

function merge(from: CompiledResiliency, into: CompiledResiliency): void {
  for (const key of ['timeouts', 'retries', 'circuitBreakers', 'apps', 'components'] as const) {
    for (const [k, v] of from[key] as Map<string, never>) (into[key] as Map<string, never>).set(k, v);
  }
}

function compileOne(src: ResiliencySource, out: CompiledResiliency, warnings: string[]): void {
  const fail = (field: string, msg: string): never => {
    throw new ResiliencyConfigError(msg, src.source, src.name, field);
  };
  const spec = asObject(src.spec ?? {}, 'spec', fail);
  const policies = asObject(spec.policies ?? {}, 'spec.policies', fail);

  for (const [name, raw] of entries(policies.timeouts, 'spec.policies.timeouts', fail)) {
    const field = `spec.policies.timeouts.${name}`;
    // Dapr applies a timeout only when it is > 0: "0" means none.
    out.timeouts.set(name, { name, ms: Math.max(0, duration(raw, field, fail)) });
  }

  for (const [name, raw] of entries(policies.retries, 'spec.policies.retries', fail)) {
    const f = `spec.policies.retries.${name}`;
    if (PROTECTED_POLICIES.includes(name)) {
      warnings.push(`${where(src)}${f}: ${name} is protected in Dapr and cannot be overridden; ignored`);
      continue;
    }
    const r = asObject(raw, f, fail);
    // dapr/kit's PolicyType.DecodeString lower-cases the value.
    const policy = r.policy === undefined || r.policy === '' ? 'constant' : String(r.policy).toLowerCase();
    if (policy !== 'constant' && policy !== 'exponential') fail(`${f}.policy`, `"${String(r.policy)}" is not constant or exponential`);
    let maxRetries = present(r.maxRetries) ? integer(r.maxRetries, `${f}.maxRetries`, fail) : -1;
    if (maxRetries < -1) fail(`${f}.maxRetries`, 'must be -1 (unlimited), 0 or more');
    if ((BUILT_IN_RETRY_POLICIES as readonly string[]).includes(name) && maxRetries < 3) {
      // Dapr's check is `MaxRetries < 3`, so -1 (unlimited) also becomes 3.
      warnings.push(`${where(src)}${f}.maxRetries: override of ${name} did not meet the minimum retry count; reset to 3, as Dapr does`);
      maxRetries = 3;
    }
    const matching = r.matching === undefined ? {} : asObject(r.matching, `${f}.matching`, fail);
    out.retries.set(name, {
      name,
      policy: policy as 'constant' | 'exponential',
      durationMs: optionalDuration(r.duration, `${f}.duration`, DEFAULT_CONSTANT_MS, fail),
      initialIntervalMs: optionalDuration(r.initialInterval, `${f}.initialInterval`, DEFAULT_INITIAL_INTERVAL_MS, fail),
      multiplier: optionalFloat(r.multiplier, `${f}.multiplier`, DEFAULT_MULTIPLIER, fail),
      randomizationFactor: optionalFloat(r.randomizationFactor, `${f}.randomizationFactor`, DEFAULT_RANDOMIZATION, fail),
      maxIntervalMs: optionalDuration(r.maxInterval, `${f}.maxInterval`, DEFAULT_MAX_INTERVAL_MS, fail),
      maxElapsedMs: optionalDuration(r.maxElapsedTime, `${f}.maxElapsedTime`, DEFAULT_MAX_ELAPSED_MS, fail),
      maxRetries,
      httpStatusCodes: codes(matching.httpStatusCodes, `${f}.matching.httpStatusCodes`, 100, 599, fail),
      grpcStatusCodes: codes(matching.gRPCStatusCodes, `${f}.matching.gRPCStatusCodes`, 0, 16, fail),
    });
  }

  for (const [name, raw] of entries(policies.circuitBreakers, 'spec.policies.circuitBreakers', fail)) {
    const f = `spec.policies.circuitBreakers.${name}`;
    const cb = asObject(raw, f, fail);
    // gobreaker treats maxRequests 0 as 1.
    const maxRequests = present(cb.maxRequests) ? integer(cb.maxRequests, `${f}.maxRequests`, fail) : 1;
    if (maxRequests < 0) fail(`${f}.maxRequests`, 'must be 0 or more');
    const trip = present(cb.trip) ? String(cb.trip) : DEFAULT_TRIP;
    const timeoutMs = optionalDuration(cb.timeout, `${f}.timeout`, DEFAULT_CB_TIMEOUT_MS, fail);
    out.circuitBreakers.set(name, {
      name,
      maxRequests: Math.max(1, maxRequests),
      intervalMs: Math.max(0, optionalDuration(cb.interval, `${f}.interval`, 0, fail)),
      // gobreaker: a timeout <= 0 means its 60 s default.
      timeoutMs: timeoutMs > 0 ? timeoutMs : DEFAULT_CB_TIMEOUT_MS,
      trip,
      evaluate: compileTrip(trip, `${f}.trip`, fail),
    });
  }

  const targets = asObject(spec.targets ?? {}, 'spec.targets', fail);
  if (targets.actors !== undefined && targets.actors !== null) {
    warnings.push(`${where(src)}spec.targets.actors: ignored, nest-dapr has no actors`);
  }
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

/**
 * A target naming a policy that no resource defines gets none of that kind, as
 * in Dapr (whose lookup simply finds nothing); here it is also reported.
 */
function checkReferences(src: ResiliencySource, model: CompiledResiliency, warnings: string[]): void {
  const spec = (src.spec ?? {}) as Obj;
  const targets = (spec.targets ?? {}) as Obj;
  const check = (t: TargetPolicyNames | undefined, field: string) => {
    if (!t) return;
    const drop = (kind: keyof TargetPolicyNames, name: string) => {
      warnings.push(`${where(src)}${field}: ${kind} policy "${name}" is not defined in spec.policies; the target has no ${kind} policy`);
      delete t[kind];
    };
    if (t.timeout !== undefined && !model.timeouts.has(t.timeout)) drop('timeout', t.timeout);
    if (t.retry !== undefined && !model.retries.has(t.retry)) drop('retry', t.retry);
    if (t.circuitBreaker !== undefined && !model.circuitBreakers.has(t.circuitBreaker)) drop('circuitBreaker', t.circuitBreaker);
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

/**
 * Dapr's resiliency durations (`parseDuration` in `pkg/resiliency`, and
 * kit/config for retries and breakers): a whole number is milliseconds,
 * anything else a Go duration. A YAML number is read the same way.
 */
function duration(raw: unknown, field: string, fail: Fail): number {
  const text = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  const ms = text === undefined || text === '' ? undefined : decodeDuration(text, 'ms', false);
  if (ms === undefined) {
    return fail(field, `"${String(raw)}" is not a duration: use a Go duration such as 5s or 250ms, or a whole number of milliseconds`);
  }
  return ms;
}

function optionalDuration(raw: unknown, field: string, fallback: number, fail: Fail): number {
  return present(raw) ? duration(raw, field, fail) : fallback;
}

function optionalFloat(raw: unknown, field: string, fallback: number, fail: Fail): number {
  if (!present(raw)) return fallback;
  const n = typeof raw === 'number' ? raw : parseGoFloat(String(raw).trim());
  if (n === undefined || !Number.isFinite(n) || n < 0) return fail(field, `"${String(raw)}" is not a non-negative number`);
  return n;
}

function integer(raw: unknown, field: string, fail: Fail): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseGoInt(raw.trim(), 10, 64, false) : undefined;
  if (n === undefined || !Number.isInteger(n)) return fail(field, `"${String(raw)}" is not an integer`);
  return n;
}

/** An omitted field, as Go's `omitempty` sees it (absent, null or ""). */
function present(raw: unknown): boolean {
  return raw !== undefined && raw !== null && raw !== '';
}

function where(src: ResiliencySource): string {
  const f = src.source?.file;
  return f ? `${f}${src.source?.line ? `:${src.source.line}` : ''}: Resiliency "${src.name}": ` : `Resiliency "${src.name}": `;
}

function asObject(raw: unknown, field: string, fail: Fail): Obj {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(field, 'must be a mapping');
  return raw as Obj;
}

function entries(raw: unknown, field: string, fail: Fail): [string, unknown][] {
  if (raw === undefined || raw === null) return [];
  return Object.entries(asObject(raw, field, fail));
}
