import { ComponentConfigError } from './component-config.error';
import { InvocationTransportError } from './invocation.errors';

/**
 * The mTLS configuration (`mtls` option or `DAPR_TRUST_ANCHORS` /
 * `DAPR_CERT_CHAIN` / `DAPR_CERT_KEY`) cannot be used: a file that cannot be
 * read, PEM that does not parse, a certificate without a SPIFFE id or with
 * another app's id, a key that does not belong to the certificate. Raised at
 * start-up; `field` names the option (`mtls.certChain`) or the variable.
 */
export class MtlsConfigError extends ComponentConfigError {
  constructor(field: string, reason: string) {
    super(reason, undefined, undefined, field);
    // Not "inline options: ...": the field may be an environment variable, so it leads the message instead.
    this.message = `${field}: ${reason}`;
  }
}

/**
 * The server at the resolved address proved, with a certificate from our trust
 * anchors, that it is some other app (or presented no SPIFFE id): the request
 * was never sent. Checked per connection, so `method` is empty. Never retried:
 * the same address will answer with the same certificate.
 */
export class CalleeIdentityError extends InvocationTransportError {
  readonly nonRetriable = true;

  constructor(
    appId: string,
    address: string,
    readonly expected: string,
    readonly presented: string | undefined,
  ) {
    const detail = `server certificate is ${presented ? `for ${presented}` : 'without a SPIFFE id'}, expected ${expected}`;
    super(appId, '', address, 'ERR_DAPR_CALLEE_IDENTITY', detail);
    this.message = `invoke ${appId} at ${address}: ${detail}`;
  }
}
