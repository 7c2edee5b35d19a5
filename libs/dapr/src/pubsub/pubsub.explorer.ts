import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { SubscriptionConfigError } from '../errors/pubsub.errors';
import type { DaprResource } from '../runtime/component-definition';
import { payloadValidatorFor, type PayloadValidator } from './payload-validator';
import { DropEvent, SubscriptionStatus } from './subscription-status';
import { normalizePath, parseSubscriptionResource } from './subscription-resource';
import { DAPR_CONTEXT_TYPE, DAPR_SUBSCRIBE_ARGS_METADATA, DAPR_SUBSCRIBE_METADATA } from './pubsub.constants';
import type { CloudEvent, SubscribeOptions } from './pubsub.interfaces';

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

// Nest's own metadata keys and enums (@nestjs/common constants), read for declarative subscriptions.
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const ROUTE_ARGS_METADATA = '__routeArguments__';
const REQUEST_METHOD_POST = 1;
const PIPES_METADATA = '__pipes__';

interface PipeConfig {
  getGlobalPipes(): unknown[];
  getGlobalRequestPipes?(): unknown[];
}
const PARAM_BODY = 3;
const PARAM_HEADERS = 6;

/**
 * A controller route invoked for a declarative Subscription receives what a
 * Dapr sidecar would POST: the CloudEvent as `@Body()` and the broker metadata
 * as `@Headers()`.
 */
const routeParamsFactory = {
  exchangeKeyForValue: (type: number, data: unknown, args: unknown[]) => {
    const event = args[1] as CloudEvent;
    const key = typeof data === 'string' ? data : undefined;
    if (type === PARAM_BODY) return key ? event[key] : event;
    if (type === PARAM_HEADERS) return key ? event.metadata?.[key.toLowerCase()] : event.metadata;
    return undefined;
  },
};

// Arguments 0 and 1 of a handler are the payload and the CloudEvent.
const paramsFactory = {
  exchangeKeyForValue: (type: number, _data: unknown, args: unknown[]) => args[type],
};

/**
 * Finds `@Subscribe` methods on controllers and providers (the nestjs/bull
 * explorer pattern: DiscoveryService + MetadataScanner) and wraps each with
 * ExternalContextCreator, so guards, interceptors, pipes and exception filters
 * apply to deliveries as they do to HTTP requests (context type `dapr`).
 */
@Injectable()
export class PubSubExplorer {
  private readonly logger = new Logger('Dapr');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
  ) {}

  private creatorFor(wrapper: InstanceWrapper): ExternalContextCreator {
    const key = moduleKeyOf(wrapper);
    if (!key) return this.contextCreator;
    const creator = Object.create(this.contextCreator) as { getHostModuleKey: () => string };
    creator.getHostModuleKey = () => key;
    return creator as unknown as ExternalContextCreator;
  }

  explore(): SubscriptionHandler[] {
    const out: SubscriptionHandler[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      if (!proto || proto === Object.prototype) continue;
      const methods = this.scanner.getAllMethodNames(proto).filter((name) => {
        const fn = (proto as Record<string, unknown>)[name];
        return typeof fn === 'function' && Reflect.hasMetadata(DAPR_SUBSCRIBE_METADATA, fn);
      });
      if (methods.length === 0) continue;
      seen.add(instance);
      if (!isStatic(wrapper)) {
        this.logger.warn(`${wrapper.name}: @Subscribe on a request-scoped provider is not supported; skipped`);
        continue;
      }
      for (const method of methods) out.push(...this.bind(wrapper, instance, proto, method));
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
    const routes = this.postRoutes();
    const out: SubscriptionHandler[] = [];
    for (const res of resources) {
      const sub = parseSubscriptionResource(res);
      for (const route of sub.routes) {
        const path = normalizePath(route.path);
        const target = routes.get(path);
        if (!target) {
          throw new SubscriptionConfigError(
            `${sub.where}: no POST route ${path} in the app's controllers (known: ${[...routes.keys()].join(', ') || 'none'})`,
          );
        }
        out.push({
          options: {
            pubsub: sub.pubsubname,
            topic: sub.topic,
            deadLetterTopic: sub.deadLetterTopic,
            match: route.match,
            metadata: sub.metadata,
          },
          describe: `${target.describe} (Subscription ${sub.name})`,
          invoke: target.invoke,
        });
      }
    }
    return out;
  }

  private postRoutes(): Map<string, { describe: string; invoke: SubscriptionHandler['invoke'] }> {
    const routes = new Map<string, { describe: string; invoke: SubscriptionHandler['invoke'] }>();
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype || !isStatic(wrapper)) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      const base = Reflect.getMetadata(PATH_METADATA, wrapper.metatype) as string | string[] | undefined;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = (proto as Record<string, (...args: unknown[]) => unknown>)[method];
        if (Reflect.getMetadata(METHOD_METADATA, fn) !== REQUEST_METHOD_POST) continue;
        const own = Reflect.getMetadata(PATH_METADATA, fn) as string | string[] | undefined;
        for (const b of [base ?? ''].flat()) {
          for (const o of [own ?? ''].flat()) {
            const path = normalizePath(b, o);
            if (routes.has(path)) continue;
            const invoke = this.creatorFor(wrapper).create(
              instance,
              fn,
              method,
              ROUTE_ARGS_METADATA,
              routeParamsFactory,
              undefined,
              undefined,
              { guards: true, interceptors: true, filters: true },
              DAPR_CONTEXT_TYPE,
            ) as SubscriptionHandler['invoke'];
            routes.set(path, { describe: `${wrapper.name}.${method}`, invoke });
          }
        }
      }
    }
    return routes;
  }

  /** Whether global, class or method pipes apply (unknown configuration counts as yes). */
  private hasPipes(host: object, fn: object): boolean {
    if ((Reflect.getMetadata(PIPES_METADATA, host) as unknown[] | undefined)?.length) return true;
    if ((Reflect.getMetadata(PIPES_METADATA, fn) as unknown[] | undefined)?.length) return true;
    const config = (this.contextCreator as unknown as { pipesContextCreator?: { config?: PipeConfig } }).pipesContextCreator?.config;
    if (!config || typeof config.getGlobalPipes !== 'function') return true;
    return config.getGlobalPipes().length > 0 || (config.getGlobalRequestPipes?.().length ?? 0) > 0;
  }

  private bind(
    wrapper: InstanceWrapper,
    instance: Record<string, unknown>,
    proto: object,
    method: string,
  ): SubscriptionHandler[] {
    const fn = (proto as Record<string, (...args: unknown[]) => unknown>)[method];
    const list = Reflect.getMetadata(DAPR_SUBSCRIBE_METADATA, fn) as SubscribeOptions[];
    const host = (proto as { constructor: object }).constructor;
    // Without any pipe, skip Nest's per-call pipe machinery: arguments go straight through.
    const withPipes = this.hasPipes(host, fn);
    if (withPipes && !Reflect.hasOwnMetadata(DAPR_SUBSCRIBE_ARGS_METADATA, host, method)) {
      Reflect.defineMetadata(
        DAPR_SUBSCRIBE_ARGS_METADATA,
        // Pipes see `metadata.data` 'data' for the payload and 'event' for the CloudEvent (both type 'custom').
        { '0:0': { index: 0, data: 'data', pipes: [] }, '1:1': { index: 1, data: 'event', pipes: [] } },
        host,
        method,
      );
    }
    const invoke = this.creatorFor(wrapper).create(
      instance,
      dropAware(fn),
      method,
      withPipes ? DAPR_SUBSCRIBE_ARGS_METADATA : undefined,
      withPipes ? paramsFactory : undefined,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: true },
      DAPR_CONTEXT_TYPE,
    ) as (data: unknown, event: CloudEvent) => Promise<unknown>;
    const paramTypes = Reflect.getMetadata('design:paramtypes', proto, method) as unknown[] | undefined;
    const validate = payloadValidatorFor(paramTypes?.[0]);
    const describe = `${(host as { name?: string }).name ?? 'handler'}.${method}`;
    return list.map((options) => ({ options, describe, invoke, validate }));
  }
}

/**
 * ExternalContextCreator finds a host's module (where its class-referenced
 * guards, interceptors and pipes live) among module providers only, so a
 * controller's enhancers would be missed. Point it at the module the
 * discovery wrapper comes from.
 */
function moduleKeyOf(wrapper: InstanceWrapper): string | undefined {
  return (wrapper.host as { token?: string } | undefined)?.token;
}

/**
 * A `DropEvent` is an intended outcome, not an error: turn it into a DROP
 * result before Nest's external exception handler would log it as an error.
 * The wrapper carries the method's metadata (guards, interceptors, pipes,
 * filters) so Nest sees the same handler.
 */
function dropAware(fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const wrapped = async function (this: unknown, ...args: unknown[]) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (err instanceof DropEvent || (err as Error)?.name === 'DropEvent') return SubscriptionStatus.DROP;
      throw err;
    }
  };
  for (const key of Reflect.getMetadataKeys(fn)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, fn), wrapped);
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped;
}

function isStatic(wrapper: InstanceWrapper): boolean {
  return typeof wrapper.isDependencyTreeStatic !== 'function' || wrapper.isDependencyTreeStatic();
}
