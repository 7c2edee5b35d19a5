import { SetMetadata } from '@nestjs/common';

/**
 * The one idiom every nest-dapr decorator uses (nestjs/bull's): a decorator
 * only writes metadata under a namespaced key (`dapr:subscribe`,
 * `dapr:binding`, `dapr:invoke-method`...) on the decorated method or class,
 * as `SetMetadata` does, and each key has one typed getter next to its
 * decorator. Explorers read through those getters only.
 */
export const HandlerMetadata = SetMetadata;

/**
 * `SetMetadata` for a decorator that may be repeated on one method (several
 * `@Subscribe` on one handler): each use appends its value to the list.
 */
export function AppendHandlerMetadata<V>(key: string, value: V): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const list = (Reflect.getMetadata(key, descriptor.value) as V[] | undefined) ?? [];
    Reflect.defineMetadata(key, [...list, value], descriptor.value);
    return descriptor;
  };
}

/** Reads what a method or class decorator wrote (the typed getters are built on this). */
export function readHandlerMetadata<V>(key: string, target: object): V | undefined {
  return Reflect.getMetadata(key, target) as V | undefined;
}
