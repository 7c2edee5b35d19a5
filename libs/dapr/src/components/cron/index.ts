import { registerComponent } from '../../runtime/component-registry';
import { CronBinding } from './cron.binding';

registerComponent({ type: 'bindings.cron', create: () => new CronBinding() });
