import { registerComponent } from '../../runtime/component-registry';
import { ServiceBusQueuesBinding } from './servicebus-queues.binding';
import { ServiceBusQueuesPubSub } from './servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from './servicebus-topics.pubsub';

registerComponent({ type: 'pubsub.azure.servicebus.topics', create: () => new ServiceBusTopicsPubSub() });
registerComponent({ type: 'pubsub.azure.servicebus.queues', create: () => new ServiceBusQueuesPubSub() });
registerComponent({ type: 'bindings.azure.servicebusqueues', create: () => new ServiceBusQueuesBinding() });
