/** The public API of nest-dapr (see API.md). */
export { DaprModule, DAPR_RUNTIME_READY } from './dapr.module';
export { DAPR_MODULE_OPTIONS } from './dapr-module.definition';
export type {
  DaprModuleOptions,
  AccessControlSpec,
  ResiliencySpec,
  NameResolutionOptions,
  DaprMtlsOptions,
  DaprIdentityOptions,
  DaprLimitsOptions,
} from './dapr-module-options.interface';
export type { ComponentDefinition, MetadataValue, DaprResource } from './runtime/component-definition';
export { ComponentRuntime, type ComponentHealth, type LoadedComponent } from './runtime/component-runtime';
export { ComponentRegistry, componentRegistry, registerComponent, type DriverRegistration } from './runtime/component-registry';
export { loadPackage } from './runtime/load-package';
export { parseDuration } from './runtime/duration';
export { SecretsService } from './secrets/secrets.service';
export * from './errors';
export * from './resiliency';
export * from './invocation';
export * from './observability';
export * from './bindings';
export { parseCronSchedule, type CronSchedule } from './components/cron/cron-schedule';
export * from './pubsub';
export * from './state';
export * from './components/spi';
