import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { ServiceBusQueuesBinding } from './servicebus-queues.binding';
import { ServiceBusQueuesPubSub } from './servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from './servicebus-topics.pubsub';

/** The `azure-servicebus` drivers; `components/builtin-drivers.ts` registers them. */
export const azureServicebusDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.azure.servicebus.topics', create: () => new ServiceBusTopicsPubSub() },
  { type: 'pubsub.azure.servicebus.queues', create: () => new ServiceBusQueuesPubSub() },
  { type: 'bindings.azure.servicebusqueues', create: () => new ServiceBusQueuesBinding() },
];
