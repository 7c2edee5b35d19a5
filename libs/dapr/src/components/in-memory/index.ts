import { registerComponent } from '../../runtime/component-registry';
import { InMemoryPubSub } from './in-memory.pubsub';
import { InMemoryStateStore } from './in-memory.state-store';

registerComponent({ type: 'pubsub.in-memory', create: () => new InMemoryPubSub() });
registerComponent({ type: 'state.in-memory', create: () => new InMemoryStateStore() });
