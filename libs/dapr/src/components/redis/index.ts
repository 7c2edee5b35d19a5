import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { RedisBinding } from './redis.binding';
import { RedisPubSub } from './redis.pubsub';
import { RedisStateStore } from './redis.state-store';
import { RedisLockStore } from './redis.lock-store';
import { RedisConfigurationStore } from './redis.configuration-store';
import { REDIS_BINDING_METADATA, REDIS_CONFIGURATION_METADATA, REDIS_LOCK_METADATA, REDIS_PUBSUB_METADATA, REDIS_STATE_METADATA } from './redis.metadata';

/** The `redis` drivers; `components/builtin-drivers.ts` registers them. */
export const redisDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.redis', create: () => new RedisBinding(), metadata: REDIS_BINDING_METADATA },
  { type: 'pubsub.redis', create: () => new RedisPubSub(), metadata: REDIS_PUBSUB_METADATA },
  { type: 'state.redis', create: () => new RedisStateStore(), metadata: REDIS_STATE_METADATA },
  { type: 'lock.redis', create: () => new RedisLockStore(), metadata: REDIS_LOCK_METADATA },
  { type: 'configuration.redis', create: () => new RedisConfigurationStore(), metadata: REDIS_CONFIGURATION_METADATA },
];
