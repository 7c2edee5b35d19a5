import { registerComponent } from '../../runtime/component-registry';
import { RedisBinding } from './redis.binding';

registerComponent({ type: 'bindings.redis', create: () => new RedisBinding() });
