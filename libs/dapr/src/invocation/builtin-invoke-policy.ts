import { ConstantBackoff, ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { InvocationError, InvocationTransportError } from '../errors/invocation.errors';
import { isNonRetriable, NEVER_ABORTED } from '../resiliency/resiliency-policy';
import type { RetrySpec } from '../resiliency/resiliency-spec';

/**
 * Used when the app's Resiliency spec has no policy (named or default) for the
 * target app. It only retries what cannot have run the method twice:
 * connections that never opened and gateway statuses (502/503/504) for every
 * verb; a reset socket or a lost response only for idempotent verbs. So a POST
 * is never duplicated by a retry unless the user's policy asks for it.
 */
export const BUILTIN_INVOKE_RETRIES = 3;

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const MID_REQUEST_FAILURES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const GATEWAY_STATUSES = new Set([502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function builtinRetriable(err: unknown, httpMethod: string): boolean {
  if (isNonRetriable(err)) return false;
  if (err instanceof InvocationError) return GATEWAY_STATUSES.has(err.status);
  if (err instanceof InvocationTransportError && err.code) {
    if (CONNECT_FAILURES.has(err.code)) return true;
    return IDEMPOTENT.has(httpMethod) && MID_REQUEST_FAILURES.has(err.code);
  }
  return false;
}

/**
 * The built-in policy as a continuation: the caller makes the first attempt
 * itself (a successful call then never enters cockatiel, which is most of the
 * policy's per-call cost), and hands the failure here. Cockatiel then sees
 * that failure as its own first attempt, so the retry decision, the backoff
 * before the first retry and the attempt count are exactly the policy's.
 */
export interface BuiltinInvokePolicy {
  /** Retries `fn` as the policy would after its first attempt failed with `firstError`. */
  continueAfter<T>(firstError: unknown, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

function build(httpMethod: string, override?: RetrySpec): BuiltinInvokePolicy {
  // A Resiliency that defines DaprBuiltInServiceRetries sets the count and back-off
  // (as in Dapr); which failures are safe to retry stays the built-in rule.
  const backoff = !override
    ? new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000, exponent: 2 })
    : override.policy === 'constant'
      ? new ConstantBackoff(override.durationMs)
      : new ExponentialBackoff({ initialDelay: override.initialIntervalMs, maxDelay: override.maxIntervalMs, exponent: override.multiplier });
  const maxAttempts = !override ? BUILTIN_INVOKE_RETRIES : override.maxRetries < 0 ? Infinity : override.maxRetries;
  const policy = retry(handleWhen((err) => builtinRetriable(err, httpMethod)), { maxAttempts, backoff });
  return {
    continueAfter<R>(firstError: unknown, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
      // Not retriable: rethrow as is, without the cost of a policy run.
      if (!builtinRetriable(firstError, httpMethod)) return Promise.reject(firstError as Error);
      let first = true;
      return policy.execute<R>(({ signal }) => {
        if (first) {
          first = false;
          return Promise.reject(firstError as Error);
        }
        return fn(signal);
      }, NEVER_ABORTED);
    },
  };
}

const byVerb = new Map<string, BuiltinInvokePolicy>();
const overridden = new WeakMap<RetrySpec, Map<string, BuiltinInvokePolicy>>();

/**
 * One shared policy per verb (and per `DaprBuiltInServiceRetries` override):
 * it holds no per-call state.
 */
export function builtinInvokePolicy(httpMethod: string, override?: RetrySpec): BuiltinInvokePolicy {
  let cache = byVerb;
  if (override) {
    cache = overridden.get(override) ?? new Map();
    overridden.set(override, cache);
  }
  let p = cache.get(httpMethod);
  if (!p) cache.set(httpMethod, (p = build(httpMethod, override)));
  return p;
}
