import { registerComponent } from '../../runtime/component-registry';
import { StaticNameResolver } from './static.name-resolver';

registerComponent({ type: 'nameresolution.static', create: () => new StaticNameResolver() });
