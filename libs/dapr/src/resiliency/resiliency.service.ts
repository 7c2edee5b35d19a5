import { Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { DaprMetrics } from '../observability/dapr-metrics';
import { observeResiliencyPolicy, type ObservablePolicy } from './resiliency-metrics';
import { ComponentRuntime } from '../runtime/component-runtime';
import { NEVER_ABORTED, type PolicyTarget, type ResiliencyPolicy } from './resiliency-policy';
import { emptyResiliency, type CompiledResiliency, type RetrySpec, type TargetPolicyNames } from './resiliency-spec';
import { BUILT_IN_RETRY_POLICIES, compileResiliency, type ResiliencyProblems, type ResiliencySource } from './resiliency-spec.parser';
import { PolicyRunner } from './policy-runner';

type PolicyKind = 'Timeout' | 'Retry' | 'CircuitBreaker';
const KINDS: readonly PolicyKind[] = ['Timeout', 'Retry', 'CircuitBreaker'];

/** Component kinds as Dapr spells them in default policy names (`DefaultStatestoreComponentOutboundRetryPolicy`). */
const COMPONENT_TYPE_NAMES: Record<string, string> = {
  state: 'Statestore',
  pubsub: 'Pubsub',
  bindings: 'Binding',
  secretstores: 'Secretstore',
  configuration: 'Configuration',
  lock: 'Lock',
};

/**
 * The resiliency engine of the app: merges every in-scope `Resiliency` resource
 * and the inline `resiliency` option, validates them at start-up, and hands
 * out one `ResiliencyPolicy` per target. Policies are cached, so a target's
 * circuit breaker state is shared by every caller (state, pub/sub, bindings,
 * invocation).
 */
@Injectable()
export class ResiliencyService implements OnModuleInit {
  private readonly logger = new Logger('DaprResiliency');
  private model?: CompiledResiliency;
  private readonly cache = new Map<string, PolicyRunner | null>();

  constructor(
    private readonly runtime: ComponentRuntime,
    @Optional() private readonly metrics?: DaprMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.runtime.start();
    this.load();
  }

  /**
   * The policy for a target, or `undefined` when neither a named target nor a
   * Dapr default policy (`DefaultAppRetryPolicy`, `DefaultComponentOutboundTimeoutPolicy`, ...)
   * applies, so the caller can fall back to its own built-in behaviour.
   */
  policyFor(target: PolicyTarget): ResiliencyPolicy | undefined {
    const key = target.kind === 'app' ? `app/${target.appId}` : `component/${target.direction}/${target.name}`;
    let runner = this.cache.get(key);
    if (runner === undefined) {
      runner = this.build(target);
      this.cache.set(key, runner);
    }
    return runner ?? undefined;
  }

  /**
   * A Dapr built-in retry policy (`DaprBuiltInServiceRetries`, ...) when a
   * Resiliency resource overrides it; `undefined` keeps the caller's built-in.
   */
  builtInRetry(name: (typeof BUILT_IN_RETRY_POLICIES)[number]): RetrySpec | undefined {
    return this.load().retries.get(name);
  }

  /** Same as `policyFor`, but a pass-through policy instead of `undefined`. */
  policyOrDefault(target: PolicyTarget): ResiliencyPolicy {
    return this.policyFor(target) ?? PASS_THROUGH;
  }

  private load(): CompiledResiliency {
    if (this.model) return this.model;
    const sources: ResiliencySource[] = this.runtime.resourcesOf('Resiliency').map((r) => ({
      name: r.name,
      spec: r.spec,
      source: r.source,
    }));
    const inline = this.runtime.options.resiliency ? { name: 'inline', spec: this.runtime.options.resiliency } : undefined;
    if (inline) sources.push(inline);
    // As daprd: a Resiliency file that does not decode is logged and skipped, the app still starts.
    // The inline option is code, so a mistake there fails start-up.
    const problems: ResiliencyProblems = { skipped: [], warnings: [] };
    this.model = compileResiliency(sources, emptyResiliency(), problems, (s) => s === inline);
    for (const err of problems.skipped) this.logger.error(`skipping Resiliency "${err.component}": ${err.message}`);
    for (const w of problems.warnings) this.logger.warn(w);
    if (sources.length) {
      const m = this.model;
      this.logger.log(
        `loaded ${sources.length - problems.skipped.length} resiliency spec(s): ${m.timeouts.size} timeouts, ${m.retries.size} retries, ${m.circuitBreakers.size} circuit breakers`,
      );
    }
    return this.model;
  }

  private build(target: PolicyTarget): PolicyRunner | null {
    const model = this.load();
    let named: TargetPolicyNames | undefined;
    let defaults: string[];
    let label: string;
    if (target.kind === 'app') {
      named = model.apps.get(target.appId);
      defaults = ['DefaultApp', 'Default'];
      label = `app ${target.appId}`;
    } else {
      const dir = target.direction === 'inbound' ? 'Inbound' : 'Outbound';
      named = model.components.get(target.name)?.[target.direction];
      const kind = this.runtime.list().find((c) => c.name === target.name)?.kind;
      const typeName = kind ? COMPONENT_TYPE_NAMES[kind] : undefined;
      defaults = [
        ...(typeName ? [`Default${typeName}Component${dir}`] : []),
        `DefaultComponent${dir}`,
        'DefaultComponent',
        'Default',
      ];
      label = `component ${target.name} (${target.direction})`;
    }
    const pick = (kind: PolicyKind): string | undefined => {
      const explicit = named?.[kindKey(kind)];
      if (explicit) return explicit;
      const has = (n: string) =>
        kind === 'Timeout' ? model.timeouts.has(n) : kind === 'Retry' ? model.retries.has(n) : model.circuitBreakers.has(n);
      return defaults.map((d) => `${d}${kind}Policy`).find(has);
    };
    const [t, r, cb] = KINDS.map(pick);
    if (!t && !r && !cb) return null;
    const runner = new PolicyRunner({
      target: label,
      timeout: t ? model.timeouts.get(t) : undefined,
      retry: r ? model.retries.get(r) : undefined,
      circuitBreaker: cb ? model.circuitBreakers.get(cb) : undefined,
    });
    // dapr_resiliency_{loaded,count,activations_total,cb_state}. The observer's listener
    // types are narrower than cockatiel's events (parameter contravariance), hence the cast.
    observeResiliencyPolicy(runner as unknown as ObservablePolicy, target, this.metrics);
    return runner;
  }
}

function kindKey(kind: PolicyKind): keyof TargetPolicyNames {
  return kind === 'Timeout' ? 'timeout' : kind === 'Retry' ? 'retry' : 'circuitBreaker';
}

const PASS_THROUGH: ResiliencyPolicy = {
  execute: (fn) => fn(NEVER_ABORTED),
};
