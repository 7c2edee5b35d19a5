import type { BindingsService } from '../bindings/bindings.service';
import type { ConfigurationService } from '../configuration/configuration.service';
import type { PubSubService } from '../pubsub/pubsub.service';
import type { LockService } from '../lock/lock.service';
import type { ComponentRuntime } from '../runtime/component-runtime';
import type { SecretsService } from '../secrets/secrets.service';
import type { StateService } from '../state/state.service';
import type { AppChannel } from './app-channel/app-channel';
import type { DirectMessaging } from './invocation/direct-messaging';
import type { SidecarMetadata } from './sidecar-metadata';
import type { SidecarOptions } from './sidecar-options';
import type { SidecarReadiness } from './sidecar-readiness';

/**
 * What the API servers (HTTP and gRPC) work with: the blocks' own services,
 * resolved from the sidecar's Nest context, plus the sidecar's invocation,
 * metadata and readiness. The APIs translate wire formats; the blocks do the work.
 */
export interface SidecarContext {
  readonly options: SidecarOptions;
  readonly runtime: ComponentRuntime;
  readonly state: StateService;
  readonly pubsub: PubSubService;
  readonly bindings: BindingsService;
  readonly secrets: SecretsService;
  readonly lock: LockService;
  readonly configuration: ConfigurationService;
  /** The app channel once `--app-port` is given (configuration updates of HTTP subscriptions go through it). */
  readonly appChannel?: () => AppChannel | undefined;
  readonly invoker: DirectMessaging;
  readonly metadata: SidecarMetadata;
  readonly readiness: SidecarReadiness;
  /** `POST /v1.0/shutdown`: a graceful stop, as SIGTERM. */
  requestShutdown(): void;
}
