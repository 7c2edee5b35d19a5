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

/**
 * Per-app identity keys for service invocation without TLS ("keys mode").
 * Each value is the text itself or the path of a file holding it.
 * `npm run keys -- <app-id>...` issues development material.
 */
export interface DaprIdentityOptions {
  /** This app's Ed25519 private key, PEM (APP_IDENTITY_KEY); signs every call it makes. */
  key?: string;
  /** The authority's credential for that key (APP_IDENTITY_CREDENTIAL): a compact JWS naming this app's SPIFFE id. */
  credential?: string;
  /**
   * The identity authority's Ed25519 public key(s), PEM (APP_IDENTITY_AUTHORITY):
   * the trust root callers' credentials are checked against. With it, this
   * app accepts caller ids proven by key (or mTLS) only, not by the api token.
   */
  authority?: string;
  /** This app's trust domain; default mtls.trustDomain, accessControl.trustDomain, else `public`. */
  trustDomain?: string;
}

/**
 * Limits on what the app reads and how long it waits. Sizes are bytes or a
 * Kubernetes quantity (`4Mi`), durations milliseconds.
 */
export interface DaprLimitsOptions {
  /**
   * Largest body read: an invocation answer (larger → InvocationResponseTooLargeError),
   * a signed request body the access guard must read, a pub/sub message handed
   * to a handler (larger → dead-letter topic, else dropped and logged).
   * Default 4Mi, Dapr's `--max-body-size`.
   */
  maxBodySize?: number | string;
  /** Deadline of an invocation whose call sets no `timeoutMs`, all attempts included. Default 60 000. */
  invokeTimeoutMs?: number;
  /** How long one run of a subscription handler may take before it counts as failed (and is retried). Default 60 000. */
  handlerTimeoutMs?: number;
  /** How long shutdown waits for running handlers before closing the brokers anyway. Default 10 000. */
  drainTimeoutMs?: number;
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
  /**
   * Shared secret that proves a caller's app id; default env APP_API_TOKEN.
   * It never travels: calls carry an HMAC keyed from it. It proves that the
   * caller holds the token — any app holding it can claim any app id.
   */
  apiToken?: string;
  /** Per-app Ed25519 identity keys: caller ids that no other app can claim. Default env APP_IDENTITY_*. */
  identity?: DaprIdentityOptions;
  /** Body size limits and timeouts (see DaprLimitsOptions for the defaults). */
  limits?: DaprLimitsOptions;
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
