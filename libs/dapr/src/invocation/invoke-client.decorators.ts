import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import { DecoratorUsageError, InvokeClientArgumentError } from '../errors/decorator.errors';
import { HandlerMetadata, readHandlerMetadata } from '../handlers/handler-metadata';
import { INVOKE_METHOD_METADATA, INVOKE_PARAMS_METADATA, INVOKE_SERVICE_METADATA } from './invocation.constants';
import type { InvokeHttpMethod, InvokeOptions } from './invocation.interfaces';
import { InvocationService } from './invocation.service';

/** Per-method options of a declarative client call. */
export interface InvokeMethodOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

interface InvokeMethodMetadata {
  httpMethod: InvokeHttpMethod;
  path: string;
  options: InvokeMethodOptions;
}

type ParamKind = 'path' | 'query' | 'body' | 'header';
interface ParamMetadata {
  index: number;
  kind: ParamKind;
  name?: string;
}

/** Property the InvocationService is injected into on client instances. */
const INVOKER = '__daprInvocationService';

/**
 * Makes a class a typed client of app `appId`: every method decorated with
 * `@InvokeGet`/`@InvokePost`/`@InvokePut`/`@InvokePatch`/`@InvokeDelete`
 * becomes a remote call through InvocationService (name resolution,
 * resiliency, signed identity, tracing). The class is also `@Injectable()`;
 * list it in a module's providers and inject it by class. Method bodies are
 * replaced, so write `return remoteCall(...params);` in them.
 *
 * ```ts
 * @InvokeService('checkout')
 * export class CheckoutClient {
 *   @InvokeGet('stock/:sku')
 *   stock(@PathParam('sku') sku: string, @InvokeQuery('warehouse') wh?: string): Promise<Stock> { return remoteCall(sku, wh); }
 *   @InvokePost('orders')
 *   place(@InvokeBody() order: Order, @InvokeHeader('x-request-id') id: string): Promise<Receipt> { return remoteCall(order, id); }
 * }
 * ```
 */
export function InvokeService(appId: string): ClassDecorator {
  return (target) => {
    HandlerMetadata(INVOKE_SERVICE_METADATA, appId)(target);
    Injectable()(target);
    Inject(InvocationService)(target.prototype as object, INVOKER);
    const proto = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const method = proto[name];
      if (typeof method !== 'function') continue;
      const meta = invokeMethodOf(method);
      if (!meta) continue;
      const params = (invokeParamsOf(method) ?? []).slice();
      const remote = function (this: Record<string, unknown>, ...args: unknown[]): Promise<unknown> {
        const service = this[INVOKER] as InvocationService | undefined;
        if (!service) {
          return Promise.reject(
            new DecoratorUsageError(
              `@InvokeService('${appId}')`,
              `${target.name}.${name}: no InvocationService was injected; provide ${target.name} through a module that imports DaprModule`,
            ),
          );
        }
        let call: { method: string; options: InvokeOptions };
        try {
          call = buildCall(meta, params, args, `${target.name}.${name}`);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        return service.invoke(appId, call.method, call.options);
      };
      Object.defineProperty(remote, 'name', { value: name });
      proto[name] = remote;
    }
  };
}

/**
 * Placeholder body for declarative client methods; `@InvokeService` replaces
 * the method. Pass the parameters (`return remoteCall(sku, order)`) so that
 * linters see them used; they are ignored here.
 */
export function remoteCall<T = never>(..._args: unknown[]): Promise<T> {
  return Promise.reject(new DecoratorUsageError('remoteCall()', 'the method ran its placeholder body: decorate the class with @InvokeService(appId)'));
}

function route(httpMethod: InvokeHttpMethod) {
  return (path = '', options: InvokeMethodOptions = {}): MethodDecorator =>
    HandlerMetadata<string, InvokeMethodMetadata>(INVOKE_METHOD_METADATA, { httpMethod, path, options });
}

/** The `@InvokeGet`/`@InvokePost`/... metadata of a client method, or undefined. */
export function invokeMethodOf(method: object): InvokeMethodMetadata | undefined {
  return readHandlerMetadata<InvokeMethodMetadata>(INVOKE_METHOD_METADATA, method);
}

/** The `@PathParam`/`@InvokeBody`/... parameters of a client method, or undefined. */
export function invokeParamsOf(method: object): ParamMetadata[] | undefined {
  return readHandlerMetadata<ParamMetadata[]>(INVOKE_PARAMS_METADATA, method);
}

/** The app id of an `@InvokeService` client class, or undefined. */
export function invokeServiceOf(target: object): string | undefined {
  return readHandlerMetadata<string>(INVOKE_SERVICE_METADATA, target);
}

export const InvokeGet = route('GET');
export const InvokePost = route('POST');
export const InvokePut = route('PUT');
export const InvokePatch = route('PATCH');
export const InvokeDelete = route('DELETE');

// Parameter decorators run before the method's own decorators, on the same method function.
function param(kind: ParamKind, name?: string): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) return;
    const method = (target as Record<string | symbol, unknown>)[key] as object;
    const list = invokeParamsOf(method) ?? [];
    Reflect.defineMetadata(INVOKE_PARAMS_METADATA, [...list, { index, kind, name }], method);
  };
}

/** Fills `:name` in the method's path (URL-encoded). */
export const PathParam = (name: string): ParameterDecorator => param('path', name);
/** One query parameter by name, or (without a name) an object of them. */
export const InvokeQuery = (name?: string): ParameterDecorator => param('query', name);
/** The request body (JSON for objects, text for strings, bytes for Buffer/Uint8Array). */
export const InvokeBody = (): ParameterDecorator => param('body');
/** One header by name, or (without a name) an object of them. */
export const InvokeHeader = (name?: string): ParameterDecorator => param('header', name);

function buildCall(
  meta: InvokeMethodMetadata,
  params: ParamMetadata[],
  args: unknown[],
  label: string,
): { method: string; options: InvokeOptions } {
  let path = meta.path;
  const options: InvokeOptions = { httpMethod: meta.httpMethod };
  if (meta.options.timeoutMs !== undefined) options.timeoutMs = meta.options.timeoutMs;
  let headers: Record<string, string> | undefined = meta.options.headers ? { ...meta.options.headers } : undefined;
  let query: Record<string, string> | undefined;
  for (const p of params) {
    const value = args[p.index];
    switch (p.kind) {
      case 'path':
        if (value === undefined || value === null) throw new InvokeClientArgumentError(label, `path parameter "${p.name}" is missing`);
        path = path.replace(new RegExp(`:${p.name}(?=/|$|\\?)`), encodeURIComponent(String(value)));
        break;
      case 'body':
        options.body = value;
        break;
      case 'query':
        if (value === undefined) break;
        query ??= {};
        if (p.name) query[p.name] = String(value);
        else Object.assign(query, stringify(value as Record<string, unknown>));
        break;
      case 'header':
        if (value === undefined) break;
        headers ??= {};
        if (p.name) headers[p.name] = String(value);
        else Object.assign(headers, stringify(value as Record<string, unknown>));
        break;
    }
  }
  if (query) options.query = query;
  if (headers) options.headers = headers;
  return { method: path, options };
}

function stringify(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}
