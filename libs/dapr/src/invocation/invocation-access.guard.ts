import {
  ForbiddenException,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
} from '@nestjs/common';
import type { AccessControlSpec } from '../runtime/dapr-module-options.interface';
import type { ConfigSource } from '../errors/component-config.error';
import { DaprMetrics } from '../observability/dapr-metrics';
import { ComponentRuntime } from '../runtime/component-runtime';
import { AccessControlPolicy, type CallerInfo } from './access-control.policy';
import { CallerIdentity } from './caller-identity';
import {
  API_TOKEN_HEADER,
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLER_SIGNATURE_HEADER,
} from './invocation.constants';
import { peerIdentityOf, type PeerIdentity } from './peer-certificate';

interface HttpRequestLike {
  method: string;
  url: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  /** The connection: a TLSSocket when the app serves HTTPS. */
  socket?: unknown;
}

/**
 * The callee side of service invocation, installed globally by DaprModule.
 * Over TLS, a client certificate decides who calls: untrusted (not from our
 * trust anchors) or without a SPIFFE id → 401; trusted → the caller is the
 * certificate's app id, namespace and trust domain, no api token needed, and a
 * `dapr-caller-app-id` (or namespace) header that says otherwise → 401.
 * Without a certificate, a request that claims a caller app id
 * (`dapr-caller-app-id`) must prove it when this app has an API token: the
 * shared `dapr-api-token` plus a fresh HMAC signature over caller, callee,
 * verb and path; otherwise it is rejected with 401. Without a token here the
 * claim cannot be checked, so the header is removed before the handler sees
 * it. Then Dapr's `accessControl` (option, or a Configuration resource)
 * decides, with 403 on denial. Plain HTTP requests carry no claim and pass
 * untouched unless an access control policy denies unverified callers.
 */
@Injectable()
export class InvocationAccessGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('DaprAccessControl');
  private acl?: AccessControlPolicy;
  private readonly identity?: CallerIdentity;
  private readonly appId: string;

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly metrics: DaprMetrics,
  ) {
    this.appId = runtime.appId;
    const token = runtime.options.apiToken;
    if (token) this.identity = new CallerIdentity(token);
  }

  async onModuleInit(): Promise<void> {
    await this.runtime.start();
    const fromOptions = this.runtime.options.accessControl;
    let spec: AccessControlSpec | undefined = fromOptions;
    let source: ConfigSource | undefined;
    if (!spec) {
      const res = this.runtime.resourcesOf('Configuration').find((r) => r.spec.accessControl !== undefined);
      spec = res?.spec.accessControl as AccessControlSpec | undefined;
      source = res?.source;
    }
    if (spec) {
      this.acl = new AccessControlPolicy(spec, source);
      this.logger.log(`access control active for ${this.appId}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    // Plain HTTP costs one property read here; TLS peers are read once per connection.
    const peer = peerIdentityOf(req.socket);
    const caller = peer ? this.fromCertificate(req, peer) : this.verifyCaller(req);
    if (caller.appId) this.metrics.invocationRequestReceived(caller.appId, pathOf(req));
    if (!this.acl) return true;
    const decision = this.acl.decide(caller, req.method, pathOf(req));
    if (decision.action === 'deny') {
      throw new ForbiddenException({
        errorCode: 'ERR_PERMISSION_DENIED',
        message: `access control policy (${decision.scope}) denies ${req.method} ${pathOf(req)} to ${caller.appId ? `app "${caller.appId}"` : 'an unverified caller'}`,
      });
    }
    return true;
  }

  private fromCertificate(req: HttpRequestLike, peer: PeerIdentity): CallerInfo {
    if ('rejected' in peer) throw new UnauthorizedException({ errorCode: 'ERR_UNAUTHENTICATED', message: peer.rejected });
    const { appId, namespace, trustDomain, uri } = peer.verified;
    const headers = req.headers;
    const claimed = first(headers[CALLER_APP_ID_HEADER]);
    const claimedNamespace = first(headers[CALLER_NAMESPACE_HEADER]);
    if ((claimed !== undefined && claimed !== appId) || (claimedNamespace !== undefined && claimedNamespace !== namespace)) {
      throw new UnauthorizedException({
        errorCode: 'ERR_UNAUTHENTICATED',
        message: `caller claims app "${claimed ?? appId}" in namespace "${claimedNamespace ?? namespace}" but its certificate is for ${uri}`,
      });
    }
    // Handlers read the caller from the usual headers; they now carry what the certificate proves.
    headers[CALLER_APP_ID_HEADER] = appId;
    headers[CALLER_NAMESPACE_HEADER] = namespace;
    return { appId, namespace, trustDomain };
  }

  private verifyCaller(req: HttpRequestLike): CallerInfo {
    const headers = req.headers;
    const claimed = first(headers[CALLER_APP_ID_HEADER]);
    if (claimed === undefined) return {};
    if (this.runtime.options.sidecar) {
      // Sidecar mode: daprd proved the caller (mTLS between sidecars) and vouches with APP_API_TOKEN when one is set.
      if (this.identity && !this.identity.tokenMatches(first(headers[API_TOKEN_HEADER]))) {
        throw new UnauthorizedException({ errorCode: 'ERR_UNAUTHENTICATED', message: 'the sidecar did not present the app api token' });
      }
      return { appId: claimed, namespace: first(headers[CALLER_NAMESPACE_HEADER]) ?? '', trustDomain: this.acl?.trustDomain };
    }
    if (!this.identity) {
      // Nothing to check the claim against: do not let handlers mistake it for a proven identity.
      delete headers[CALLER_APP_ID_HEADER];
      return {};
    }
    const callee = first(headers[CALLEE_APP_ID_HEADER]) ?? this.appId;
    const namespace = first(headers[CALLER_NAMESPACE_HEADER]) ?? '';
    const ok =
      callee === this.appId &&
      this.identity.tokenMatches(first(headers[API_TOKEN_HEADER])) &&
      this.identity.verify(first(headers[CALLER_SIGNATURE_HEADER]), {
        caller: claimed,
        callee,
        namespace,
        method: req.method,
        path: req.originalUrl ?? req.url,
      });
    if (!ok) {
      throw new UnauthorizedException({
        errorCode: 'ERR_UNAUTHENTICATED',
        message: `caller "${claimed}" did not present a valid api token and signature`,
      });
    }
    return { appId: claimed, namespace, trustDomain: this.acl?.trustDomain };
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function pathOf(req: HttpRequestLike): string {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
