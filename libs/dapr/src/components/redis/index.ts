import { registerComponent } from '../../runtime/component-registry';
import { RedisBinding } from './redis.binding';
import { RedisPubSub } from './redis.pubsub';
import { RedisStateStore } from './redis.state-store';

registerComponent({ type: 'bindings.redis', create: () => new RedisBinding() });
registerComponent({ type: 'pubsub.redis', create: () => new RedisPubSub() });
registerComponent({ type: 'state.redis', create: () => new RedisStateStore() });
