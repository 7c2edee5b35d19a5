/** Headers Dapr adds to an invocation (`dapr:pkg/messaging/v1/util.go`), plus our signed-identity header. */
export const CALLER_APP_ID_HEADER = 'dapr-caller-app-id';
export const CALLEE_APP_ID_HEADER = 'dapr-callee-app-id';
export const CALLER_NAMESPACE_HEADER = 'dapr-caller-namespace';
export const API_TOKEN_HEADER = 'dapr-api-token';
/**
 * The caller's proof of its app id: `v2;<hs256|ed25519>;<unix ms>;<nonce>;<signature>`
 * over caller and callee (app id and namespace), verb, path, body digest,
 * time and nonce (see `call-proof.ts`). hs256 is keyed from the api token,
 * ed25519 by the app's own key; a caller with both sends both, comma-separated.
 */
export const CALLER_SIGNATURE_HEADER = 'dapr-caller-signature';
/** Keys mode: the authority-signed credential that names the caller's public key. */
export const CALLER_CREDENTIAL_HEADER = 'dapr-caller-credential';

/** How long a caller proof is accepted (either side of the callee's clock); its nonce is remembered that long. */
export const SIGNATURE_WINDOW_MS = 30_000;

/** Metadata keys of the declarative client decorators. */
export const INVOKE_SERVICE_METADATA = 'dapr:invoke-service';
export const INVOKE_METHOD_METADATA = 'dapr:invoke-method';
export const INVOKE_PARAMS_METADATA = 'dapr:invoke-params';
