import { registerComponent } from '../../runtime/component-registry';
import { LocalStorageBinding } from './localstorage.binding';

registerComponent({ type: 'bindings.localstorage', create: () => new LocalStorageBinding() });
