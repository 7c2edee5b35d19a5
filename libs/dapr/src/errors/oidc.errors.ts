import { DaprError } from './dapr.error';

/**
 * The OAuth 2.0 client-credentials request of a component with `authType: oidc`
 * (Kafka) failed: the token endpoint refused the client (`status` 400/401 and
 * the server's `error` code, e.g. `invalid_client` for a wrong secret), could
 * not be reached, or answered without an access token. At start-up it stops
 * the component's init; later, a connection that needs a fresh token fails
 * with it and is retried by the client. Never carries the client secret.
 */
export class OidcTokenError extends DaprError {
  constructor(
    readonly component: string,
    readonly tokenEndpoint: string,
    reason: string,
    readonly status?: number,
    readonly oauthError?: string,
    options?: { cause?: unknown },
  ) {
    super(`component "${component}": OIDC token request to ${tokenEndpoint} failed: ${reason}`, 'ERR_OIDC_TOKEN', options);
  }
}
