import { registerComponent } from '../../runtime/component-registry';
import { HttpBinding } from './http.binding';

registerComponent({ type: 'bindings.http', create: () => new HttpBinding() });
