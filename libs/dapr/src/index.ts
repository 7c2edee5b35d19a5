/** The public API of nest-dapr (see API.md). */
export { DaprModule, DAPR_RUNTIME_READY } from './dapr.module';
export { DAPR_MODULE_OPTIONS } from './runtime/dapr-module.definition';
export type {
  DaprModuleOptions,
  AccessControlSpec,
  ResiliencySpec,
  NameResolutionOptions,
  DaprMtlsOptions,
} from './runtime/dapr-module-options.interface';
export type { ComponentDefinition, MetadataValue, DaprResource } from './runtime/component-definition';
export { ComponentRuntime, type ComponentHealth, type LoadedComponent } from './runtime/component-runtime';
export { ComponentRegistry, registerComponent, type DriverRegistration } from './runtime/component-registry';
export { loadPackage } from './spi/kit/load-package';
export { parseDuration } from './spi/kit/duration';
export { SecretsService } from './secrets/secrets.service';
export * from './runtime/secret-redaction';
export * from './errors';
export * from './resiliency';
export * from './invocation';
export * from './observability';
export * from './bindings';
export { parseCronSchedule, type CronSchedule } from './components/cron/cron-schedule';
export * from './pubsub';
export * from './state';
// The driver contracts (the driver kit and registration are in `nest-dapr/spi` only).
export * from './spi/component.spi';
export * from './spi/state.spi';
export * from './spi/pubsub.spi';
export * from './spi/bindings.spi';
export * from './spi/secret-store.spi';
export * from './spi/name-resolver.spi';
