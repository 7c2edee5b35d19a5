import { registerComponent } from '../../runtime/component-registry';
import { KafkaPubSub } from './kafka.pubsub';
import { KafkaBinding } from './kafka.binding';

registerComponent({ type: 'pubsub.kafka', create: () => new KafkaPubSub() });
registerComponent({ type: 'bindings.kafka', create: () => new KafkaBinding() });
