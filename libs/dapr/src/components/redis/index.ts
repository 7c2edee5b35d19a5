import { registerComponent } from '../../runtime/component-registry';
import { RedisBinding } from './redis.binding';
import { RedisPubSub } from './redis.pubsub';

registerComponent({ type: 'bindings.redis', create: () => new RedisBinding() });
registerComponent({ type: 'pubsub.redis', create: () => new RedisPubSub() });
