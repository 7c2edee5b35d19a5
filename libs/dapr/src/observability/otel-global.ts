/**
 * The key under which `@opentelemetry/api` 1.x keeps everything an application
 * registers — tracer provider, meter provider, context manager, propagator —
 * shared by every copy of the API in the process (api `internal/global-utils`).
 */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * False while nothing of OpenTelemetry has been registered in this process: no
 * span can be active, no SDK could record one and no meter provider exists, so
 * a leaf operation (a state read, say) has nothing to start, time or pass on.
 * One global lookup, where asking the API for the active context, the tracer
 * provider and the meter provider in turn costs several on every call.
 * `otel-global.spec.ts` fails if the API ever moves its registry.
 */
export function openTelemetryRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[OTEL_API_GLOBAL] !== undefined;
}
