import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DaprModuleOptions } from './dapr-module-options.interface';

export const {
  ConfigurableModuleClass: DaprConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: DAPR_MODULE_OPTIONS,
  OPTIONS_TYPE: DAPR_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DAPR_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DaprModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDaprOptions')
  // Global by default: every feature module can inject StateService & co.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Options of `DaprModule.forRootAsync` (`useFactory` + `inject`, `useClass` or `useExisting`; `imports`; `isGlobal`). */
export type DaprModuleAsyncOptions = typeof DAPR_ASYNC_OPTIONS_TYPE;

/** A class for `DaprModule.forRootAsync({ useClass })`: Nest calls its `createDaprOptions()`. */
export interface DaprOptionsFactory {
  createDaprOptions(): DaprModuleOptions | Promise<DaprModuleOptions>;
}
