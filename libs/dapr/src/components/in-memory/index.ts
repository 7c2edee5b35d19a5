import { registerComponent } from '../../runtime/component-registry';
import { InMemoryPubSub } from './in-memory.pubsub';

registerComponent({ type: 'pubsub.in-memory', create: () => new InMemoryPubSub() });
