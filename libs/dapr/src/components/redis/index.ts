import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { RedisBinding } from './redis.binding';
import { RedisPubSub } from './redis.pubsub';
import { RedisStateStore } from './redis.state-store';

/** The `redis` drivers; `components/builtin-drivers.ts` registers them. */
export const redisDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.redis', create: () => new RedisBinding() },
  { type: 'pubsub.redis', create: () => new RedisPubSub() },
  { type: 'state.redis', create: () => new RedisStateStore() },
];
