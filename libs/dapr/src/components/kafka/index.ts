import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { KafkaPubSub } from './kafka.pubsub';
import { KafkaBinding } from './kafka.binding';
import { KAFKA_BINDING_METADATA, KAFKA_PUBSUB_METADATA } from './kafka.metadata';

/** The `kafka` drivers; `components/builtin-drivers.ts` registers them. */
export const kafkaDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.kafka', create: () => new KafkaPubSub(), metadata: KAFKA_PUBSUB_METADATA },
  { type: 'bindings.kafka', create: () => new KafkaBinding(), metadata: KAFKA_BINDING_METADATA },
];
