import { Injectable } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { DiscoveredHandler, DiscoveredRoute } from './handler-explorer';
import { contextCreatorInModule, hasGlobalPipes, moduleKeyOf, PIPES_METADATA, ROUTE_ARGS_METADATA } from './nest-internals';

/** A handler bound to its instance through Nest's context machinery: call it with the delivery's two arguments. */
export type BoundHandler = (first: unknown, second: unknown) => Promise<unknown>;

/** What Nest's params factory is asked for: the argument's type and the `data` of its decorator. */
export interface ParamsFactory {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]): unknown;
}

export interface BindOptions {
  /** `host.getType()` in guards and interceptors: `dapr` for pub/sub, `dapr-binding` for input bindings. */
  contextType: string;
  /** What pipes see as `metadata.data` for the two arguments, e.g. `['data', 'event']`. */
  argNames: readonly [string, string];
  /**
   * Turns an error the handler threw into a result before Nest's exception
   * handling would log it as an error (pub/sub's `DropEvent` → DROP); return
   * `RETHROW` to let it fail the delivery.
   */
  resultOf?: (err: unknown) => unknown;
}

/** `BindOptions.resultOf`'s answer for an error that should fail the delivery. */
export const RETHROW: unique symbol = Symbol('dapr:rethrow');

// Arguments 0 and 1 of a handler are the delivery's two values.
const DELIVERY_PARAMS: ParamsFactory = { exchangeKeyForValue: (type, _data, args) => args[type] };
const ALL_ENHANCERS = { guards: true, interceptors: true, filters: true };

/** Errors the handler itself threw (as opposed to a guard, pipe or interceptor before it). */
const thrownByHandler = new WeakSet<object>();

/**
 * The one way a delivery reaches a handler, for `@Subscribe`, `@OnBinding`
 * and declarative Subscription routes alike: `ExternalContextCreator` with the
 * host's own module (so the guards, interceptors and pipes it names by class
 * are found, also on controllers), guards, interceptors, pipes and exception
 * filters as for an HTTP request, and Nest's pipe machinery only when a pipe
 * applies. Bound once per handler: creating the context per delivery would
 * cost more than the delivery.
 */
@Injectable()
export class DaprHandlerBinder {
  constructor(private readonly contextCreator: ExternalContextCreator) {}

  bind(h: DiscoveredHandler<unknown>, options: BindOptions): BoundHandler {
    const withPipes = this.hasPipes(h.host, h.method);
    const argsKey = `dapr:handler-args:${options.contextType}`;
    if (withPipes && !Reflect.hasOwnMetadata(argsKey, h.host, h.methodName)) {
      // Pipes see the two arguments as custom params named by `argNames`.
      const [first, second] = options.argNames;
      Reflect.defineMetadata(
        argsKey,
        { '0:0': { index: 0, data: first, pipes: [] }, '1:1': { index: 1, data: second, pipes: [] } },
        h.host,
        h.methodName,
      );
    }
    return contextCreatorInModule(this.contextCreator, moduleKeyOf(h.wrapper)).create(
      h.instance as Record<string, unknown>,
      tracked(h.method, options.resultOf),
      h.methodName,
      withPipes ? argsKey : undefined,
      withPipes ? DELIVERY_PARAMS : undefined,
      undefined,
      undefined,
      ALL_ENHANCERS,
      options.contextType,
    ) as BoundHandler;
  }

  /**
   * Binds a method whose parameters carry Nest's own param decorators
   * (`@Body()`/`@Headers()` of a controller route, `@Payload()`/`@Ctx()` of a
   * microservice pattern, stored under the same key), filled by `params`.
   */
  bindRoute(route: DiscoveredRoute, params: ParamsFactory, contextType: string, resultOf?: BindOptions['resultOf']): BoundHandler {
    return contextCreatorInModule(this.contextCreator, moduleKeyOf(route.wrapper)).create(
      route.instance as Record<string, unknown>,
      tracked(route.method, resultOf),
      route.methodName,
      ROUTE_ARGS_METADATA,
      params,
      undefined,
      undefined,
      ALL_ENHANCERS,
      contextType,
    ) as BoundHandler;
  }

  /** Whether global, class or method pipes apply. */
  private hasPipes(host: object, method: object): boolean {
    if ((Reflect.getMetadata(PIPES_METADATA, host) as unknown[] | undefined)?.length) return true;
    if ((Reflect.getMetadata(PIPES_METADATA, method) as unknown[] | undefined)?.length) return true;
    return hasGlobalPipes(this.contextCreator);
  }
}

/**
 * True when Nest refused a delivery before the handler ran, so running it
 * again would be refused again: a pipe that rejected the payload
 * (ValidationPipe → 400) or a guard that denied it (403 that the handler did
 * not throw itself). The built-in inbound policy never retries these; pub/sub
 * drops them (to the dead-letter topic if set).
 */
export function isRefusal(err: unknown): boolean {
  const getStatus = (err as { getStatus?: () => number } | undefined)?.getStatus;
  if (typeof getStatus !== 'function') return false;
  const status = getStatus.call(err);
  return status === 400 || (status === 403 && !thrownByHandler.has(err as object));
}

/**
 * The handler as Nest calls it: remembers which errors the handler threw (see
 * `isRefusal`) and applies `resultOf`. It carries the method's metadata
 * (guards, interceptors, pipes, filters) and name, so Nest sees the same handler.
 */
function tracked(fn: (...args: unknown[]) => unknown, resultOf?: (err: unknown) => unknown): (...args: unknown[]) => unknown {
  const wrapped = async function (this: unknown, ...args: unknown[]) {
    try {
      const result = await fn.apply(this, args);
      // An Observable settles with its last value, or undefined when it completes empty (Nest's microservices semantics).
      return isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
    } catch (err) {
      if (resultOf) {
        const result = resultOf(err);
        if (result !== RETHROW) return result;
      }
      if (err !== null && typeof err === 'object') thrownByHandler.add(err);
      throw err;
    }
  };
  for (const key of Reflect.getMetadataKeys(fn)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, fn), wrapped);
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped;
}
