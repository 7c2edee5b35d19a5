import { ComponentConfigError } from './component-config.error';

/**
 * The per-app identity keys (`identity` option or `APP_IDENTITY_KEY` /
 * `APP_IDENTITY_CREDENTIAL` / `APP_IDENTITY_AUTHORITY`) cannot be used: a file
 * that cannot be read, a key that is not Ed25519, a credential that is
 * another app's, expired, not signed by the configured authority, or not for
 * this key. Raised at start-up; `field` names the option or the variable.
 */
export class IdentityConfigError extends ComponentConfigError {
  constructor(field: string, reason: string) {
    super(reason, undefined, undefined, field);
    this.message = `${field}: ${reason}`;
  }
}
