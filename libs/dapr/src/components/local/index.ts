import { registerComponent } from '../../runtime/component-registry';
import { EnvSecretStore } from './env.secret-store';
import { FileSecretStore } from './file.secret-store';

registerComponent({ type: 'secretstores.local.env', create: () => new EnvSecretStore() });
registerComponent({ type: 'secretstores.local.file', create: () => new FileSecretStore() });
