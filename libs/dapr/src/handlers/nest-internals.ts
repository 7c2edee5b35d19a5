import type { ExternalContextCreator } from '@nestjs/core';
import type { DiscoveredWrapper } from './handler-explorer';

/**
 * The one file where nest-dapr relies on NestJS internals: values and
 * behaviours that neither Nest 11 nor Nest 12 offers through a public API,
 * which the handler binder needs to run deliveries through Nest's guards,
 * interceptors, pipes and filters the way HTTP requests run. Nothing else in
 * the library may use them; `test/architecture/nest-internals.spec.ts` checks
 * each one against the installed Nest and fails loudly when Nest changes it.
 */

/** Where `@Body()`, `@Headers()`… of a controller method are stored (`@nestjs/common` ROUTE_ARGS_METADATA). */
export const ROUTE_ARGS_METADATA = '__routeArguments__';
/** Where `@UsePipes()` stores a class's or method's pipes (PIPES_METADATA). */
export const PIPES_METADATA = '__pipes__';
/** Where `@Controller(path)` and `@Post(path)` store their paths (PATH_METADATA). */
export const PATH_METADATA = 'path';
/** Where a route decorator stores its verb, a `RequestMethod` value (METHOD_METADATA). */
export const METHOD_METADATA = 'method';
/** `RouteParamtypes.BODY` and `RouteParamtypes.HEADERS`: what `@Body()` and `@Headers()` ask a params factory for. */
export const ROUTE_PARAM_BODY = 3;
export const ROUTE_PARAM_HEADERS = 6;

/**
 * What `@EventPattern`/`@MessagePattern` (@nestjs/microservices) write on the
 * method: the pattern list, the handler kind (MESSAGE 1, EVENT 2), the
 * extras, and the transport a handler is restricted to. Read here so the
 * library does not load `@nestjs/microservices` (an optional peer) to find them.
 */
export const PATTERN_METADATA = 'microservices:pattern';
export const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
export const PATTERN_EXTRAS_METADATA = 'microservices:pattern_extras';
export const TRANSPORT_METADATA = 'microservices:transport';
export const PATTERN_HANDLER_MESSAGE = 1;
export const PATTERN_HANDLER_EVENT = 2;
/** `RpcParamtype.PAYLOAD` and `RpcParamtype.CONTEXT`: what `@Payload()` and `@Ctx()` ask a params factory for. */
export const RPC_PARAM_PAYLOAD = 3;
export const RPC_PARAM_CONTEXT = 6;

/** The key of the module a discovered provider or controller belongs to. */
export function moduleKeyOf(wrapper: DiscoveredWrapper): string | undefined {
  return (wrapper.host as { token?: string } | undefined)?.token;
}

/**
 * `ExternalContextCreator` finds a host's module — where the guards,
 * interceptors and pipes its decorators name by class are instantiated — among
 * module providers only, so for a controller it finds none and those
 * enhancers would silently not run. This is a view of the creator that answers
 * with the module the discovery wrapper comes from (both lookups Nest 11 and
 * 12 use: `getHostModuleKey`, then `getContextModuleKey`).
 */
export function contextCreatorInModule(creator: ExternalContextCreator, moduleKey: string | undefined): ExternalContextCreator {
  if (!moduleKey) return creator;
  const view = Object.create(creator) as { getHostModuleKey: () => string; getContextModuleKey: () => string };
  view.getHostModuleKey = () => moduleKey;
  view.getContextModuleKey = () => moduleKey;
  return view as unknown as ExternalContextCreator;
}

interface PipeConfig {
  getGlobalPipes(): unknown[];
  getGlobalRequestPipes?(): unknown[];
}

/**
 * Whether the app registered global pipes (`app.useGlobalPipes`, `APP_PIPE`),
 * read from the ApplicationConfig behind the creator's pipes context. Unknown
 * (a Nest that keeps it elsewhere) counts as yes: the caller then takes Nest's
 * full pipe path, which is always correct, only slower.
 */
export function hasGlobalPipes(creator: ExternalContextCreator): boolean {
  const config = (creator as unknown as { pipesContextCreator?: { config?: PipeConfig } }).pipesContextCreator?.config;
  if (!config || typeof config.getGlobalPipes !== 'function') return true;
  return config.getGlobalPipes().length > 0 || (config.getGlobalRequestPipes?.().length ?? 0) > 0;
}

/**
 * A list for a dynamic module's `providers` or `exports` whose tail is
 * computed when Nest scans the module rather than when `forRoot()` runs. Nest
 * reads these lists by iterating them during scanning, after every module file
 * of the app has been loaded (so every decorator has run). Index access and
 * serialisation (module tokens) see only `now`.
 */
export function listReadAtScan<T>(now: readonly T[], atScan: () => readonly T[]): T[] {
  const list = [...now];
  Object.defineProperty(list, Symbol.iterator, {
    value: function* () {
      yield* now;
      yield* atScan();
    },
  });
  return list;
}
