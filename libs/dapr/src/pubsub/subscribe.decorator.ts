import { AppendHandlerMetadata, readHandlerMetadata } from '../handlers/handler-metadata';
import { DAPR_SUBSCRIBE_METADATA } from './pubsub.constants';
import type { SubscribeOptions } from './pubsub.interfaces';

/**
 * Subscribes the method to a topic. Works on controllers and on any provider;
 * the handler receives `(data, event: CloudEvent)`. Several `@Subscribe` on one
 * method subscribe it to several topics.
 * @publicApi
 */
export function Subscribe(options: SubscribeOptions): MethodDecorator {
  return AppendHandlerMetadata<SubscribeOptions>(DAPR_SUBSCRIBE_METADATA, { ...options });
}

/** The `@Subscribe` options on a method (one entry per use), or undefined. */
export function subscriptionsOf(method: object): SubscribeOptions[] | undefined {
  return readHandlerMetadata<SubscribeOptions[]>(DAPR_SUBSCRIBE_METADATA, method);
}
