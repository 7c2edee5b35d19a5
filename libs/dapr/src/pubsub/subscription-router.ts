import { celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import { SubscriptionConfigError } from '../errors/pubsub.errors';
import type { CloudEvent } from './pubsub.interfaces';

type Matcher = (ctx: { event: unknown }) => CelResult;

interface Rule<H> {
  match?: Matcher;
  expression?: string;
  handler: H;
}

const env = celEnv();

/** Raised when a `match` rule fails to evaluate for an event (Dapr: DLQ or retry). */
export class RouteEvaluationError extends Error {}

/**
 * Dapr's routing rules for one topic: `match` rules in declaration order, then
 * the default route. Expressions are compiled once at start-up (a bad one
 * fails start-up); with only a default route nothing is evaluated per event.
 */
export class SubscriptionRouter<H> {
  private readonly rules: Rule<H>[] = [];
  private fallback?: H;

  constructor(private readonly label: string) {}

  add(handler: H, expression: string | undefined, describe: string): void {
    if (expression === undefined || expression.trim() === '') {
      if (this.fallback !== undefined) {
        throw new SubscriptionConfigError(
          `${this.label}: more than one handler without "match" (${describe}); give all but one a match rule`,
        );
      }
      this.fallback = handler;
      return;
    }
    let match: Matcher;
    try {
      match = plan(env, parse(expression)) as Matcher;
    } catch (err) {
      throw new SubscriptionConfigError(`${this.label}: invalid match "${expression}" on ${describe}: ${(err as Error).message}`);
    }
    this.rules.push({ match, expression, handler });
  }

  /** The handler for the event, or undefined when no rule matches and there is no default. */
  route(event: CloudEvent): H | undefined {
    const rules = this.rules;
    if (rules.length === 0) return this.fallback;
    const ctx = { event };
    for (let i = 0; i < rules.length; i++) {
      const result = rules[i].match!(ctx);
      if (result === true) return rules[i].handler;
      if (result === false) continue;
      if (isCelError(result)) {
        // Dapr (`matchRoutingRule`) stops at the first rule that fails to evaluate — a field the
        // event lacks included — and the runtime dead-letters or retries the event. `has()` guards.
        throw new RouteEvaluationError(`match "${rules[i].expression}" failed: ${result.message}`);
      }
      throw new RouteEvaluationError(`match "${rules[i].expression}" did not return a bool`);
    }
    return this.fallback;
  }
}
