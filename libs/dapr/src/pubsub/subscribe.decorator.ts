import { DAPR_SUBSCRIBE_METADATA } from './pubsub.constants';
import type { SubscribeOptions } from './pubsub.interfaces';

/**
 * Subscribes the method to a topic. Works on controllers and on any provider;
 * the handler receives `(data, event: CloudEvent)`. Several `@Subscribe` on one
 * method subscribe it to several topics.
 * @publicApi
 */
export function Subscribe(options: SubscribeOptions): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const list: SubscribeOptions[] = Reflect.getMetadata(DAPR_SUBSCRIBE_METADATA, descriptor.value) ?? [];
    Reflect.defineMetadata(DAPR_SUBSCRIBE_METADATA, [...list, { ...options }], descriptor.value);
    return descriptor;
  };
}
