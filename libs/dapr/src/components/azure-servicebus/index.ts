import { registerComponent } from '../../runtime/component-registry';
import { ServiceBusQueuesPubSub } from './servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from './servicebus-topics.pubsub';

registerComponent({ type: 'pubsub.azure.servicebus.topics', create: () => new ServiceBusTopicsPubSub() });
registerComponent({ type: 'pubsub.azure.servicebus.queues', create: () => new ServiceBusQueuesPubSub() });
