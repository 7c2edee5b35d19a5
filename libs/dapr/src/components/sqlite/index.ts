import { registerComponent } from '../../runtime/component-registry';
import { SqlitePubSub } from './sqlite.pubsub';

registerComponent({ type: 'pubsub.sqlite', create: () => new SqlitePubSub() });
