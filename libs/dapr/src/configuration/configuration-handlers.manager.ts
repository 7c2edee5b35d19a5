import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DaprHandlerBinder } from '../handlers/handler-binder';
import { DaprHandlerExplorer } from '../handlers/handler-explorer';
import { DAPR_CONFIGURATION_CONTEXT } from './configuration.constants';
import { ConfigurationService } from './configuration.service';
import { configurationHandlersOf } from './on-configuration-change.decorator';

/**
 * Subscribes every `@OnConfigurationChange` method once the app is
 * bootstrapped, through the handler explorer and binder every delivery path
 * uses (guards, interceptors, pipes and filters apply; context type
 * `dapr-configuration`). ConfigurationService stops the subscriptions before
 * shutdown. A handler naming a store that is not configured stops start-up
 * (in sidecar mode: one the sidecar does not have).
 */
@Injectable()
export class ConfigurationHandlersManager implements OnApplicationBootstrap {
  private readonly logger = new Logger('DaprConfiguration');

  constructor(
    private readonly explorer: DaprHandlerExplorer,
    private readonly binder: DaprHandlerBinder,
    private readonly configuration: ConfigurationService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const found = this.explorer.explore('@OnConfigurationChange', configurationHandlersOf);
    for (const h of found) {
      const bound = this.binder.bind(h, { contextType: DAPR_CONFIGURATION_CONTEXT, argNames: ['items', 'subscription'] });
      for (const use of h.meta) {
        let id = '';
        const sub = await this.configuration.subscribe(use.store, use.keys, (items) => bound(items, { store: use.store, id }) as Promise<void>, use.metadata);
        id = sub.id;
        this.logger.log(`configuration store "${use.store}" [${use.keys.join(', ') || '*'}] → ${h.describe}`);
      }
    }
  }
}
