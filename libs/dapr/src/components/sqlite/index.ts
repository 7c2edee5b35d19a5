import { registerComponent } from '../../runtime/component-registry';
import { SqlitePubSub } from './sqlite.pubsub';
import { SqliteStateStore } from './sqlite.state-store';
import { SqliteNameResolver } from './sqlite.name-resolver';

registerComponent({ type: 'pubsub.sqlite', create: () => new SqlitePubSub() });
registerComponent({ type: 'state.sqlite', create: () => new SqliteStateStore() });
registerComponent({ type: 'nameresolution.sqlite', create: () => new SqliteNameResolver() });
