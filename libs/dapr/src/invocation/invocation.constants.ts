/** Headers Dapr adds to an invocation (`dapr:pkg/messaging/v1/util.go`), plus our signed-identity header. */
export const CALLER_APP_ID_HEADER = 'dapr-caller-app-id';
export const CALLEE_APP_ID_HEADER = 'dapr-callee-app-id';
export const CALLER_NAMESPACE_HEADER = 'dapr-caller-namespace';
export const API_TOKEN_HEADER = 'dapr-api-token';
/**
 * `t=<unix ms>,v1=<hex HMAC-SHA256>` over caller, callee, namespace, timestamp,
 * verb and path, keyed by the shared API token: proves the caller's app id.
 */
export const CALLER_SIGNATURE_HEADER = 'dapr-caller-signature';

/** How long a caller signature stays valid (either side of the callee's clock). */
export const SIGNATURE_WINDOW_MS = 60_000;

/** Metadata keys of the declarative client decorators. */
export const INVOKE_SERVICE_METADATA = 'dapr:invoke-service';
export const INVOKE_METHOD_METADATA = 'dapr:invoke-method';
export const INVOKE_PARAMS_METADATA = 'dapr:invoke-params';
