import { registerComponent } from '../../runtime/component-registry';
import { KubernetesNameResolver } from './kubernetes.name-resolver';

registerComponent({ type: 'nameresolution.kubernetes', create: () => new KubernetesNameResolver() });
