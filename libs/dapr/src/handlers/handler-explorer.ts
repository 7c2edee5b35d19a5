import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from './nest-internals';

/** What DiscoveryService hands out for a provider or controller (Nest's InstanceWrapper, not exported by name). */
export type DiscoveredWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** A decorated method found on a controller or provider. */
export interface DiscoveredHandler<T> {
  wrapper: DiscoveredWrapper;
  instance: object;
  /** The class the method is declared on (where Nest keeps its enhancer metadata). */
  host: object;
  methodName: string;
  method: (...args: unknown[]) => unknown;
  /** What the decorator's typed getter returned. */
  meta: T;
  /** `Class.method`, for logs and errors. */
  describe: string;
}

/** A controller route, for declarative Subscriptions that name a route path. */
export interface DiscoveredRoute {
  wrapper: DiscoveredWrapper;
  instance: object;
  methodName: string;
  method: (...args: unknown[]) => unknown;
  describe: string;
}

/**
 * The one explorer of decorated handlers (`@Subscribe`, `@OnBinding`, and the
 * microservices transport's patterns): DiscoveryService + MetadataScanner over
 * controllers and providers, as nestjs/bull does. One rule for request-scoped
 * hosts everywhere: a delivery has no request to scope them to, so they are
 * skipped with a warning.
 */
@Injectable()
export class DaprHandlerExplorer {
  private readonly logger = new Logger('Dapr');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** Every method for which `read` (a decorator's typed getter) returns metadata. */
  explore<T>(decorator: string, read: (method: object) => T | undefined): DiscoveredHandler<T>[] {
    const out: DiscoveredHandler<T>[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      // A useValue/useFactory provider has no metatype to read: its instance's prototype is scanned.
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown> | null;
      if (!proto || proto === Object.prototype) continue;
      const found: { methodName: string; method: (...args: unknown[]) => unknown; meta: T }[] = [];
      for (const methodName of this.scanner.getAllMethodNames(proto)) {
        const method = proto[methodName];
        if (typeof method !== 'function') continue;
        const meta = read(method);
        if (meta !== undefined) found.push({ methodName, method: method as (...args: unknown[]) => unknown, meta });
      }
      if (found.length === 0) continue;
      seen.add(instance);
      const host = (proto as { constructor: object }).constructor;
      const name = (host as { name?: string }).name ?? wrapper.name;
      if (!isStatic(wrapper)) {
        this.logger.warn(`${name}: ${decorator} on a request-scoped provider is not supported (a delivery has no request); skipped`);
        continue;
      }
      for (const f of found) out.push({ wrapper, instance, host, ...f, describe: `${name}.${f.methodName}` });
    }
    return out;
  }

  /** The `@Post()` routes of the app's controllers, by normalised path (first one wins). */
  postRoutes(isPost: (verb: unknown) => boolean): Map<string, DiscoveredRoute> {
    const routes = new Map<string, DiscoveredRoute>();
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype || !isStatic(wrapper)) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      const base = Reflect.getMetadata(PATH_METADATA, wrapper.metatype) as string | string[] | undefined;
      for (const methodName of this.scanner.getAllMethodNames(proto)) {
        const method = proto[methodName] as (...args: unknown[]) => unknown;
        if (!isPost(Reflect.getMetadata(METHOD_METADATA, method))) continue;
        const own = Reflect.getMetadata(PATH_METADATA, method) as string | string[] | undefined;
        for (const b of [base ?? ''].flat()) {
          for (const o of [own ?? ''].flat()) {
            const path = normalizeRoutePath(b, o);
            if (!routes.has(path)) routes.set(path, { wrapper, instance, methodName, method, describe: `${wrapper.name}.${methodName}` });
          }
        }
      }
    }
    return routes;
  }
}

/** `/a//b/` → `/a/b`, so controller routes and Subscription paths compare equal. */
export function normalizeRoutePath(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .join('/')
    .split('/')
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

function isStatic(wrapper: DiscoveredWrapper): boolean {
  return typeof wrapper.isDependencyTreeStatic !== 'function' || wrapper.isDependencyTreeStatic();
}
