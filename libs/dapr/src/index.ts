/**
 * `nest-dapr`: what applications use (the README documents it). This list is the package's
 * public surface and is recorded in libs/dapr/api/nest-dapr.api.md; anything
 * not exported here is private and may change in any release. Driver authors
 * use `nest-dapr/spi`; tests use `nest-dapr/testing`.
 *
 * Add a name here only on purpose, then run `npm run api:update` and commit the
 * report with the change.
 */

// Module and its options
export { DaprModule } from './dapr.module';
export { DAPR_MODULE_OPTIONS } from './runtime/dapr-module.definition';
export type { DaprModuleAsyncOptions, DaprOptionsFactory } from './runtime/dapr-module.definition';
export type {
  DaprModuleOptions,
  AccessControlSpec,
  ResiliencySpec,
  NameResolutionOptions,
  DaprMtlsOptions,
  DaprIdentityOptions,
  DaprLimitsOptions,
  DaprSidecarOptions,
} from './runtime/dapr-module-options.interface';
export type { ComponentDefinition, MetadataValue } from './runtime/component-definition';
// Drivers of the app's own (`forRoot({ drivers })`); the contracts they implement are in `nest-dapr/spi`.
export type { DriverRegistration } from './spi/driver-registration.spi';

// State
export { StateService } from './state/state.service';
export { StateStore, getStateStoreToken } from './state/state-store.decorator';
export type {
  StateItem,
  StateBulkItem,
  StateSaveItem,
  StateGetOptions,
  StateDeleteOptions,
  StateDeleteItem,
  StateGetBulkOptions,
  StateSaveOptions,
  StateSaveItemOptions,
  StateOperation,
  StateQuery,
  StateQueryResponse,
  StateConcurrencyMode,
  StateConsistencyMode,
} from './state/state.interfaces';

// Pub/sub
export { PubSubService } from './pubsub/pubsub.service';
export { Subscribe } from './pubsub/subscribe.decorator';
export { SubscriptionStatus, DropEvent } from './pubsub/subscription-status';
export type { CloudEvent, PublishOptions, BulkPublishEntry, BulkPublishResponse, SubscribeOptions } from './pubsub/pubsub.interfaces';

// Service invocation
export { InvocationService } from './invocation/invocation.service';
export type { InvokeOptions, InvokeHttpMethod } from './invocation/invocation.interfaces';
export {
  InvokeService,
  InvokeGet,
  InvokePost,
  InvokePut,
  InvokePatch,
  InvokeDelete,
  PathParam,
  InvokeQuery,
  InvokeBody,
  InvokeHeader,
  remoteCall,
  type InvokeMethodOptions,
} from './invocation/invoke-client.decorators';
export { daprHttpsOptions, type DaprHttpsOptions } from './invocation/dapr-https-options';
// Keys mode: issue an app's credential with the identity authority's key (npm run keys does the same).
export { issueCredential } from './invocation/identity-credential';

// Bindings and secrets
export { BindingsService, type BindingResponse } from './bindings/bindings.service';
export { OnBinding } from './bindings/on-binding.decorator';
export { SecretsService } from './secrets/secrets.service';

// Distributed lock
export { LockService, type LockResponse, type UnlockResponse } from './lock/lock.service';
export type { UnlockStatus } from './spi/lock.spi';
// Configuration
export { ConfigurationService } from './configuration/configuration.service';
export { OnConfigurationChange, type OnConfigurationChangeOptions } from './configuration/on-configuration-change.decorator';
export type { ConfigurationItem, ConfigurationGetResponse, ConfigurationHandler, ConfigurationSubscription } from './configuration/configuration.interfaces';

// HTTP error mapping
export { DaprExceptionFilter } from './http/dapr-exception.filter';

// Observability
export { setupTracing, type SetupTracingOptions, type TracingHandle, type TracingSdk, type TracingSpanProcessor } from './observability/setup-tracing';
export { DaprLogger } from './observability/dapr-logger';
export { DaprHealthModule } from './observability/dapr-health.module';
export { DaprHealthService, type ComponentStatus, type DaprReadiness, type ReadinessStatus } from './observability/dapr-health.service';
export { DaprHealthIndicator, type DaprHealthIndicatorResult } from './observability/dapr-health.indicator';
export { DAPR_TRACER_NAME } from './observability/dapr-tracer';
export { DAPR_METER_NAME } from './observability/dapr-metrics';

// Errors: every DaprError subclass is public (public-api.spec.ts checks none is missing).
export type { ConfigSource } from './errors/component-config.error';
export { DaprError } from './errors/dapr.error';
export { ComponentConfigError, ComponentYamlError, UnknownComponentTypeError, MissingMetadataError, DuplicateComponentError } from './errors/component-config.error';
export { ComponentInitError, MissingPackageError, ComponentNotFoundError } from './errors/component-init.error';
export { SecretStoreNotFoundError, SecretNotFoundError } from './errors/secret.errors';
export { RedisJsonModeError } from './errors/redis-json.error';
export { LockStoreNotConfiguredError, LockStoreNotFoundError, LockRequestError, LockOperationError } from './errors/lock.errors';
export {
  ConfigurationStoreNotFoundError,
  ConfigurationRequestError,
  ConfigurationGetError,
  ConfigurationSubscribeError,
  ConfigurationUnsubscribeError,
} from './errors/configuration.errors';
export { OidcTokenError } from './errors/oidc.errors';
export {
  PubSubNotFoundError,
  PubSubEmptyNameError,
  PubSubForbiddenError,
  PubSubMetadataError,
  PubSubCloudEventError,
  PubSubEventsSerError,
  PubSubPublishError,
  MalformedCloudEventError,
  SubscriptionConfigError,
} from './errors/pubsub.errors';
export { HandlerTimeoutError } from './errors/subscription.errors';
export { MicroserviceConfigError } from './errors/microservices.errors';
export { OutboxPublishError } from './errors/outbox.errors';
export {
  BindingNotFoundError,
  BindingOperationNotSupportedError,
  BindingRequestError,
  BindingInvokeError,
  HttpBindingStatusError,
  DuplicateBindingHandlerError,
} from './errors/bindings.errors';
export { ResiliencyConfigError, CircuitBreakerOpenError, ResiliencyTimeoutError } from './errors/resiliency.errors';
export { InvocationError, InvocationTransportError, AppNotFoundError, InvocationResponseTooLargeError } from './errors/invocation.errors';
export {
  StateStoreNotFoundError,
  ETagMismatchError,
  ETagInvalidError,
  StateStoreFeatureNotSupportedError,
  StateKeyInvalidError,
  StateRequestInvalidError,
  StateStoreError,
} from './errors/state.errors';
export { MessageTooLargeError } from './errors/message-too-large.error';
export { DecoratorUsageError, InvokeClientArgumentError } from './errors/decorator.errors';
export { DaprTestingError } from './errors/testing.errors';
export { ServiceBusConnectionStringError, ServiceBusPublishMetadataError } from './errors/servicebus.errors';
export { MtlsConfigError, CalleeIdentityError } from './errors/mtls.errors';
export { IdentityConfigError } from './errors/identity.errors';
export { CliUsageError, SidecarConfigError, GrpcPackagesMissingError, SidecarUnavailableError, SidecarApiError } from './errors/sidecar.errors';
