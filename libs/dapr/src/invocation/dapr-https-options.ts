import type { DaprModuleOptions } from '../runtime/dapr-module-options.interface';
import { loadWorkloadIdentity } from './workload-identity';

/** Nest `httpsOptions` for an app that accepts mutual TLS. */
export interface DaprHttpsOptions {
  key: string;
  cert: string;
  ca: string;
  requestCert: true;
  rejectUnauthorized: false;
}

/**
 * HTTPS server options from the same mTLS configuration as DaprModule (the
 * `mtls` option, else DAPR_TRUST_ANCHORS / DAPR_CERT_CHAIN / DAPR_CERT_KEY):
 *
 *   NestFactory.create(AppModule, { httpsOptions: daprHttpsOptions() })
 *
 * The server asks every client for a certificate but does not refuse a
 * connection without one (or with an untrusted one): browsers and probes
 * still reach public routes, and InvocationAccessGuard decides per request —
 * an untrusted certificate gets 401, a trusted one names the caller.
 * Undefined when no certificates are configured, so the same line serves
 * plain HTTP in development. Pass the module's options (appId, namespace,
 * mtls) to have the certificate checked against this app's SPIFFE id here
 * too; env APP_ID and NAMESPACE are used otherwise.
 */
export function daprHttpsOptions(
  options: Pick<DaprModuleOptions, 'mtls' | 'appId' | 'namespace' | 'accessControl'> = {},
): DaprHttpsOptions | undefined {
  const identity = loadWorkloadIdentity({
    mtls: options.mtls,
    appId: options.appId ?? (process.env.APP_ID || undefined),
    namespace: options.namespace ?? (process.env.NAMESPACE || undefined),
    accessControl: options.accessControl,
  });
  if (!identity) return undefined;
  return { key: identity.key, cert: identity.cert, ca: identity.ca, requestCert: true, rejectUnauthorized: false };
}
