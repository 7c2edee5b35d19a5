import { HandlerMetadata, readHandlerMetadata } from '../handlers/handler-metadata';
import { DAPR_BINDING_METADATA } from './bindings.constants';

export interface OnBindingMetadata {
  /** Name of the input binding component. */
  name: string;
}

/**
 * Marks a method of a provider or controller as the handler of the input
 * binding `name`. It is called with `(data, metadata)` for every event; throw
 * to leave the event for the binding's own redelivery.
 */
export const OnBinding = (name: string): MethodDecorator => HandlerMetadata<string, OnBindingMetadata>(DAPR_BINDING_METADATA, { name });

/** The `@OnBinding` metadata of a method, or undefined. */
export function onBindingOf(method: object): OnBindingMetadata | undefined {
  return readHandlerMetadata<OnBindingMetadata>(DAPR_BINDING_METADATA, method);
}
