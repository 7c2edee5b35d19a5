import { Injectable, RequestMethod } from '@nestjs/common';
import { SubscriptionConfigError } from '../errors/pubsub.errors';
import { DaprHandlerBinder, RETHROW, type BoundHandler, type ParamsFactory } from '../handlers/handler-binder';
import { DaprHandlerExplorer, normalizeRoutePath } from '../handlers/handler-explorer';
import { ROUTE_PARAM_BODY, ROUTE_PARAM_HEADERS } from '../handlers/nest-internals';
import type { DaprResource } from '../runtime/component-definition';
import { payloadValidatorFor, type PayloadValidator } from './payload-validator';
import { DAPR_CONTEXT_TYPE } from './pubsub.constants';
import type { CloudEvent, SubscribeOptions } from './pubsub.interfaces';
import { subscriptionsOf } from './subscribe.decorator';
import { parseSubscriptionResource } from './subscription-resource';
import { isDropEvent, SubscriptionStatus } from './subscription-status';

/** One `@Subscribe` found on a method, bound to its instance through Nest's context machinery. */
export interface SubscriptionHandler {
  options: SubscribeOptions;
  /** `Class.method`, for logs and errors. */
  describe: string;
  /** Runs the method through guards, interceptors, pipes and exception filters. */
  invoke: (data: unknown, event: CloudEvent) => Promise<unknown>;
  /** Set when the first parameter is a class with class-validator rules. */
  validate?: PayloadValidator;
}

/**
 * A controller route invoked for a declarative Subscription receives what a
 * Dapr sidecar would POST: the CloudEvent as `@Body()` and the broker metadata
 * as `@Headers()`.
 */
const routeParams: ParamsFactory = {
  exchangeKeyForValue: (type, data, args) => {
    const event = args[1] as CloudEvent;
    const key = typeof data === 'string' ? data : undefined;
    if (type === ROUTE_PARAM_BODY) return key ? event[key] : event;
    if (type === ROUTE_PARAM_HEADERS) return key ? event.metadata?.[key.toLowerCase()] : event.metadata;
    return undefined;
  },
};

/** A `DropEvent` is an intended outcome, not an error: a DROP result before Nest's exception handling logs it. */
const dropResult = (err: unknown): unknown => (isDropEvent(err) ? SubscriptionStatus.DROP : RETHROW);

/**
 * The pub/sub side of the handler binder: `@Subscribe` methods on controllers
 * and providers, and the controller routes declarative `Subscription`
 * resources name, each bound through Nest's guards, interceptors, pipes and
 * exception filters (context type `dapr`).
 */
@Injectable()
export class PubSubExplorer {
  constructor(
    private readonly explorer: DaprHandlerExplorer,
    private readonly binder: DaprHandlerBinder,
  ) {}

  explore(): SubscriptionHandler[] {
    const out: SubscriptionHandler[] = [];
    for (const h of this.explorer.explore('@Subscribe', subscriptionsOf)) {
      const invoke = this.binder.bind(h, { contextType: DAPR_CONTEXT_TYPE, argNames: ['data', 'event'], resultOf: dropResult });
      const validate = payloadValidatorFor(designParamTypes(h.instance, h.methodName)?.[0]);
      for (const options of h.meta) out.push({ options, describe: h.describe, invoke, validate });
    }
    return out;
  }

  /**
   * Binds declarative `Subscription` resources to controller routes: each
   * rule's `path` names a `@Post()` route, which is called with the CloudEvent
   * as its body, as daprd would call it.
   */
  exploreDeclarative(resources: DaprResource[]): SubscriptionHandler[] {
    if (resources.length === 0) return [];
    const routes = this.explorer.postRoutes((verb) => verb === RequestMethod.POST);
    const bound = new Map<string, BoundHandler>();
    const out: SubscriptionHandler[] = [];
    for (const res of resources) {
      const sub = parseSubscriptionResource(res);
      for (const route of sub.routes) {
        const path = normalizeRoutePath(route.path);
        const target = routes.get(path);
        if (!target) {
          throw new SubscriptionConfigError(
            `${sub.where}: no POST route ${path} in the app's controllers (known: ${[...routes.keys()].join(', ') || 'none'})`,
          );
        }
        let invoke = bound.get(path);
        if (!invoke) bound.set(path, (invoke = this.binder.bindRoute(target, routeParams, DAPR_CONTEXT_TYPE)));
        out.push({
          options: {
            pubsub: sub.pubsubname,
            topic: sub.topic,
            deadLetterTopic: sub.deadLetterTopic,
            match: route.match,
            metadata: sub.metadata,
          },
          describe: `${target.describe} (Subscription ${sub.name})`,
          invoke,
        });
      }
    }
    return out;
  }
}

function designParamTypes(instance: object, methodName: string): unknown[] | undefined {
  return Reflect.getMetadata('design:paramtypes', Object.getPrototypeOf(instance) as object, methodName) as unknown[] | undefined;
}
