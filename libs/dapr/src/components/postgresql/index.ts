import { registerComponent } from '../../runtime/component-registry';
import { PostgresStateStore } from './postgresql.state-store';

registerComponent({ type: 'state.postgresql', versions: ['v1'], create: () => new PostgresStateStore() });
