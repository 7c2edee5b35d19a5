/** How the sidecar reaches the app (`--app-protocol`). */
export type AppProtocol = 'http' | 'grpc';

export type SidecarLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Opt-in app health probing (`--enable-app-health-check` and its companions). */
export interface AppHealthOptions {
  /** HTTP path probed with GET (`--app-health-check-path`, default `/healthz`). */
  path: string;
  /** Milliseconds between probes (`--app-health-probe-interval`, seconds, default 5). */
  intervalMs: number;
  /** Milliseconds a probe may take (`--app-health-probe-timeout`, default 500). */
  timeoutMs: number;
  /** Consecutive failures before the app counts as unhealthy (`--app-health-threshold`, default 3). */
  threshold: number;
}

/**
 * Everything `nest-dapr run` (or a program embedding the sidecar) decides.
 * The names follow `dapr run`'s flags; the CLI only maps flags to this.
 */
export interface SidecarOptions {
  appId: string;
  /** Where the app listens; without it there is no app channel (no deliveries, no invocation of this app). */
  appPort?: number;
  appProtocol: AppProtocol;
  /** Host of the app channel (`--app-channel-address`, default 127.0.0.1). */
  appChannelAddress: string;
  /** Dapr HTTP API port (`--dapr-http-port`, default 3500; 0 picks a free port). */
  daprHttpPort: number;
  /** Dapr gRPC API port (`--dapr-grpc-port`, default 50001; 0 picks a free port). */
  daprGrpcPort: number;
  /**
   * Port other apps' invocations arrive on (`--dapr-internal-grpc-port`; here it
   * speaks HTTP/1.1). Registered in name resolution as this app's address.
   * Default 0: a free port.
   */
  daprInternalPort: number;
  /** Interface the API servers bind to (`--dapr-listen-addresses`, default 127.0.0.1). */
  listenAddress: string;
  /** Folders of Component / Subscription / Resiliency / Configuration YAML (`--resources-path`, repeatable). */
  resourcesPaths: string[];
  /** A Configuration YAML file (`--config`). */
  config?: string;
  /** Largest request body the APIs accept, in bytes (`--max-body-size`, default 4Mi). */
  maxBodySize: number;
  logLevel: SidecarLogLevel;
  /** `DAPR_API_TOKEN`: required from every caller of the Dapr API except health checks. */
  apiToken?: string;
  /** `APP_API_TOKEN`: sent to the app on every call as `dapr-api-token`. */
  appApiToken?: string;
  namespace?: string;
  /** How long a SIGTERM waits for in-flight deliveries (`--dapr-graceful-shutdown-seconds`, default 5). */
  gracefulShutdownMs: number;
  /** Set when app health checks are enabled. */
  appHealth?: AppHealthOptions;
  /** Most concurrent deliveries and invocations to the app (`--app-max-concurrency`), unlimited when absent. */
  appMaxConcurrency?: number;
  /** Whether a missing gRPC stack is fatal: true when gRPC was asked for explicitly. */
  requireGrpc?: boolean;
}

export const SIDECAR_DEFAULTS = {
  appProtocol: 'http' as AppProtocol,
  appChannelAddress: '127.0.0.1',
  daprHttpPort: 3500,
  daprGrpcPort: 50001,
  daprInternalPort: 0,
  listenAddress: '127.0.0.1',
  maxBodySize: 4 * 1024 * 1024,
  logLevel: 'info' as SidecarLogLevel,
  gracefulShutdownMs: 5000,
  appHealth: { path: '/healthz', intervalMs: 5000, timeoutMs: 500, threshold: 3 } as AppHealthOptions,
};

/** Fills in the defaults (and the tokens from the environment) of a partial options object. */
export function sidecarOptions(partial: Partial<SidecarOptions> & { appId: string }, env: NodeJS.ProcessEnv = process.env): SidecarOptions {
  return {
    appProtocol: SIDECAR_DEFAULTS.appProtocol,
    appChannelAddress: SIDECAR_DEFAULTS.appChannelAddress,
    daprHttpPort: SIDECAR_DEFAULTS.daprHttpPort,
    daprGrpcPort: SIDECAR_DEFAULTS.daprGrpcPort,
    daprInternalPort: SIDECAR_DEFAULTS.daprInternalPort,
    listenAddress: SIDECAR_DEFAULTS.listenAddress,
    resourcesPaths: [],
    maxBodySize: SIDECAR_DEFAULTS.maxBodySize,
    logLevel: SIDECAR_DEFAULTS.logLevel,
    gracefulShutdownMs: SIDECAR_DEFAULTS.gracefulShutdownMs,
    apiToken: env.DAPR_API_TOKEN || undefined,
    appApiToken: env.APP_API_TOKEN || undefined,
    namespace: env.NAMESPACE || undefined,
    ...partial,
  };
}
