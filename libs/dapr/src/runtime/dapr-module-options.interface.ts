import type { DriverRegistration } from '../spi/driver-registration.spi';
import type { ComponentDefinition } from './component-definition';

/** Dapr Configuration `spec.accessControl`. */
export interface AccessControlSpec {
  defaultAction?: 'allow' | 'deny';
  trustDomain?: string;
  policies?: {
    appId: string;
    defaultAction?: 'allow' | 'deny';
    trustDomain?: string;
    namespace?: string;
    operations?: { name: string; httpVerb?: string[]; action: 'allow' | 'deny' }[];
  }[];
}

/** Dapr Resiliency `spec` (policies + targets); the resiliency block interprets it. */
export interface ResiliencySpec {
  policies?: {
    timeouts?: Record<string, string>;
    retries?: Record<string, Record<string, unknown>>;
    circuitBreakers?: Record<string, Record<string, unknown>>;
  };
  targets?: {
    apps?: Record<string, { timeout?: string; retry?: string; circuitBreaker?: string }>;
    components?: Record<
      string,
      {
        outbound?: { timeout?: string; retry?: string; circuitBreaker?: string };
        inbound?: { timeout?: string; retry?: string; circuitBreaker?: string };
      }
    >;
  };
}

export interface NameResolutionOptions {
  component: 'sqlite' | 'static' | 'kubernetes';
  configuration?: Record<string, unknown>;
}

/**
 * Certificates for mutual TLS between apps (Dapr's standalone names in
 * brackets). Each of the three is PEM text or the path of a PEM file.
 */
export interface DaprMtlsOptions {
  /** CA certificate(s) a peer's certificate must chain to (DAPR_TRUST_ANCHORS). */
  trustAnchors: string;
  /** This app's certificate, then any intermediates (DAPR_CERT_CHAIN); its SPIFFE id must be this app's. */
  certChain: string;
  /** The certificate's private key (DAPR_CERT_KEY). */
  certKey: string;
  /** This app's trust domain; default accessControl.trustDomain, else `public` (Dapr's default). */
  trustDomain?: string;
}

export interface DaprModuleOptions {
  /** Required; falls back to env APP_ID. */
  appId?: string;
  /** A folder of Dapr YAML: Component, Subscription, Resiliency, Configuration (or several, read in order). */
  componentsPath?: string | string[];
  /** Inline components; same fields as the YAML. */
  components?: ComponentDefinition[];
  resiliency?: ResiliencySpec;
  namespace?: string;
  nameResolution?: NameResolutionOptions;
  /** Where this app is reachable; default: the port the Nest HTTP server listens on. */
  appPort?: number;
  accessControl?: AccessControlSpec;
  /** Shared secret that proves a caller's app id; default env APP_API_TOKEN. */
  apiToken?: string;
  /**
   * Mutual TLS for invocation: the caller's id comes from its certificate's
   * SPIFFE URI. Default: env DAPR_TRUST_ANCHORS, DAPR_CERT_CHAIN and
   * DAPR_CERT_KEY when all three are set.
   */
  mtls?: DaprMtlsOptions;
  /**
   * Drivers of this app beyond the built-in ones (third-party or the app's
   * own), each serving a component `type`; they win over a built-in of the
   * same type and version.
   */
  drivers?: DriverRegistration[];
  /**
   * Sidecar mode: run on a Dapr sidecar (daprd, or `nest-dapr run`) instead of
   * in-process. Every state, publish, invoke, bindings and secrets call goes
   * to the sidecar's HTTP API; the app serves the callback endpoints
   * (`/dapr/subscribe`, subscription routes, input bindings) from its
   * `@Subscribe` / `@OnBinding` handlers. `true` means daprd at
   * DAPR_HTTP_ENDPOINT, else 127.0.0.1:DAPR_HTTP_PORT (default 3500); the API
   * token defaults to DAPR_API_TOKEN. `components` / `componentsPath` cannot
   * be combined with it (the sidecar owns the components).
   */
  sidecar?: boolean | DaprSidecarOptions;
}

/** Where the Dapr sidecar of sidecar mode is. */
export interface DaprSidecarOptions {
  /** Default DAPR_HTTP_ENDPOINT, else `http://127.0.0.1:${DAPR_HTTP_PORT ?? 3500}`. */
  httpEndpoint?: string;
  /** Sent as `dapr-api-token`; default env DAPR_API_TOKEN. */
  apiToken?: string;
}
