import type { Provider } from '@nestjs/common';
import { ConfigurationHandlersManager } from './configuration-handlers.manager';
import { ConfigurationService } from './configuration.service';

export const configurationProviders: Provider[] = [ConfigurationService, ConfigurationHandlersManager];
export const configurationExports = [ConfigurationService];
