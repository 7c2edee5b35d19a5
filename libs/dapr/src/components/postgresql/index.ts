import { registerComponent } from '../../runtime/component-registry';
import { PostgresBinding } from './postgresql.binding';
import { PostgresStateStore } from './postgresql.state-store';

registerComponent({ type: 'state.postgresql', versions: ['v1'], create: () => new PostgresStateStore() });
registerComponent({ type: 'bindings.postgresql', create: () => new PostgresBinding() });
