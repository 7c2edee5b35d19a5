import type { AccessControlSpec } from '../runtime/dapr-module-options.interface';
import { ComponentConfigError, type ConfigSource } from '../errors/component-config.error';

type Action = 'allow' | 'deny';

interface Operation {
  name: string;
  pattern: RegExp;
  /** Literal characters in the name: the more, the more specific. */
  specificity: number;
  verbs?: Set<string>;
  action: Action;
}

interface AppPolicy {
  appId: string;
  defaultAction?: Action;
  trustDomain: string;
  namespace?: string;
  operations: Operation[];
}

/** Who is calling, as far as it could be proven. */
export interface CallerInfo {
  /** Undefined when the caller's identity could not be verified. */
  appId?: string;
  namespace?: string;
  trustDomain?: string;
}

export interface AclDecision {
  action: Action;
  /** Which rule decided: `global`, `app`, or `operation`. */
  scope: 'global' | 'app' | 'operation';
}

/**
 * Dapr's `accessControl` (`dapr:pkg/acl`): a global default, per-app policies
 * with their own default, and operations (`*` = one path segment, `**` = any
 * depth) restricted to HTTP verbs. Precedence: matching operation and verb >
 * the app policy's default > the global default. An unverifiable caller, or
 * one whose trust domain or namespace does not match its policy, gets the
 * global default. With app policies but no global default, the default is deny.
 * As in Dapr, a policy is for an app id in a namespace (the same id may have
 * one policy per namespace); a policy without `namespace` applies to the id in
 * any namespace that has no policy of its own.
 */
export class AccessControlPolicy {
  private readonly globalDefault: Action;
  readonly trustDomain: string;
  private readonly apps = new Map<string, AppPolicy>();

  constructor(spec: AccessControlSpec, source?: ConfigSource) {
    const fail = (field: string, msg: string): never => {
      throw new ComponentConfigError(`accessControl: ${field}: ${msg}`, source, undefined, field);
    };
    if (spec === null || typeof spec !== 'object') fail('spec.accessControl', 'must be a mapping');
    const policies = spec.policies ?? [];
    if (!Array.isArray(policies)) fail('spec.accessControl.policies', 'must be a list');
    this.globalDefault = action(spec.defaultAction, 'spec.accessControl.defaultAction', fail) ?? (policies.length ? 'deny' : 'allow');
    this.trustDomain = spec.trustDomain ?? 'public';
    policies.forEach((p, i) => {
      const f = `spec.accessControl.policies[${i}]`;
      if (!p || typeof p.appId !== 'string' || p.appId === '') fail(`${f}.appId`, 'is required');
      const ops = p.operations ?? [];
      if (!Array.isArray(ops)) fail(`${f}.operations`, 'must be a list');
      this.apps.set(policyKey(p.appId, p.namespace), {
        appId: p.appId,
        defaultAction: action(p.defaultAction, `${f}.defaultAction`, fail),
        trustDomain: p.trustDomain ?? 'public',
        namespace: p.namespace,
        operations: ops
          .map((op, j) => operation(op, `${f}.operations[${j}]`, fail))
          .sort((a, b) => b.specificity - a.specificity),
      });
    });
  }

  decide(caller: CallerInfo, httpVerb: string, path: string): AclDecision {
    const global: AclDecision = { action: this.globalDefault, scope: 'global' };
    if (!caller.appId) return global;
    const policy = this.apps.get(policyKey(caller.appId, caller.namespace || 'default')) ?? this.apps.get(policyKey(caller.appId));
    if (!policy) return global;
    if (policy.trustDomain !== (caller.trustDomain ?? this.trustDomain)) return global;
    const normalised = normalisePath(path);
    const verb = httpVerb.toUpperCase();
    for (const op of policy.operations) {
      if (!op.pattern.test(normalised)) continue;
      if (op.verbs && !op.verbs.has(verb)) break;
      return { action: op.action, scope: 'operation' };
    }
    return policy.defaultAction ? { action: policy.defaultAction, scope: 'app' } : global;
  }
}

/** Dapr's `appId||namespace` (app ids never contain `||`); the bare id for a policy without namespace. */
function policyKey(appId: string, namespace?: string): string {
  return namespace === undefined ? appId : `${appId}||${namespace}`;
}

function action(v: unknown, field: string, fail: (f: string, m: string) => never): Action | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const s = String(v).toLowerCase();
  if (s !== 'allow' && s !== 'deny') fail(field, `"${String(v)}" is not allow or deny`);
  return s as Action;
}

function operation(
  op: { name?: unknown; httpVerb?: unknown; action?: unknown },
  field: string,
  fail: (f: string, m: string) => never,
): Operation {
  if (!op || typeof op.name !== 'string' || op.name === '') return fail(`${field}.name`, 'is required');
  const name = normalisePath(op.name);
  let verbs: Set<string> | undefined;
  if (op.httpVerb !== undefined) {
    if (!Array.isArray(op.httpVerb)) fail(`${field}.httpVerb`, 'must be a list such as [GET, POST] or ["*"]');
    const list = (op.httpVerb as unknown[]).map((v) => String(v).toUpperCase());
    verbs = list.includes('*') ? undefined : new Set(list);
  }
  return {
    name,
    pattern: globToRegExp(name),
    specificity: name.replace(/\*/g, '').length * 2 - (name.includes('**') ? 1 : 0),
    verbs,
    action: action(op.action, `${field}.action`, fail) ?? 'allow',
  };
}

function normalisePath(p: string): string {
  let s = p.startsWith('/') ? p : `/${p}`;
  const q = s.indexOf('?');
  if (q >= 0) s = s.slice(0, q);
  if (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `/a/**` also matches `/a` itself.
        if (re.endsWith('/')) re = `${re.slice(0, -1)}(?:/.*)?`;
        else re += '.*';
        i++;
      } else re += '[^/]+';
    } else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
