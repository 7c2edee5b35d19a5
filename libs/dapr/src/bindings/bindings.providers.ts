import type { Provider } from '@nestjs/common';
import { BindingHandlersExplorer } from './binding-handlers.explorer';
import { BindingsService } from './bindings.service';
import { InputBindingsManager } from './input-bindings.manager';

export const bindingsProviders: Provider[] = [BindingsService, BindingHandlersExplorer, InputBindingsManager];
export const bindingsExports = [BindingsService];
