import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { RabbitMQBinding } from './rabbitmq.binding';
import { RabbitMQPubSub } from './rabbitmq.pubsub';
import { RABBITMQ_BINDING_METADATA, RABBITMQ_PUBSUB_METADATA } from './rabbitmq.metadata';

/** The `rabbitmq` drivers; `components/builtin-drivers.ts` registers them. */
export const rabbitmqDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.rabbitmq', create: () => new RabbitMQPubSub(), metadata: RABBITMQ_PUBSUB_METADATA },
  { type: 'bindings.rabbitmq', create: () => new RabbitMQBinding(), metadata: RABBITMQ_BINDING_METADATA },
];
