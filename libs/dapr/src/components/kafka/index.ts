import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { KafkaPubSub } from './kafka.pubsub';
import { KafkaBinding } from './kafka.binding';

/** The `kafka` drivers; `components/builtin-drivers.ts` registers them. */
export const kafkaDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.kafka', create: () => new KafkaPubSub() },
  { type: 'bindings.kafka', create: () => new KafkaBinding() },
];
