import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { ServiceBusQueuesBinding } from './servicebus-queues.binding';
import { ServiceBusQueuesPubSub } from './servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from './servicebus-topics.pubsub';
import { SERVICEBUS_QUEUES_BINDING_METADATA, SERVICEBUS_QUEUES_METADATA, SERVICEBUS_TOPICS_METADATA } from './servicebus.metadata';

/** The `azure-servicebus` drivers; `components/builtin-drivers.ts` registers them. */
export const azureServicebusDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.azure.servicebus.topics', create: () => new ServiceBusTopicsPubSub(), metadata: SERVICEBUS_TOPICS_METADATA },
  { type: 'pubsub.azure.servicebus.queues', create: () => new ServiceBusQueuesPubSub(), metadata: SERVICEBUS_QUEUES_METADATA },
  { type: 'bindings.azure.servicebusqueues', create: () => new ServiceBusQueuesBinding(), metadata: SERVICEBUS_QUEUES_BINDING_METADATA },
];
