import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  Logger,
  Optional,
  PayloadTooLargeException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AccessControlSpec } from '../runtime/dapr-module-options.interface';
import type { ConfigSource } from '../errors/component-config.error';
import { DaprMetrics } from '../observability/dapr-metrics';
import { ComponentRuntime } from '../runtime/component-runtime';
import { AccessControlPolicy, type AclDecision, type CallerInfo } from './access-control.policy';
import { appIdentityOf, type CallerKeyVerifier } from './app-identity';
import type { SignedCall } from './call-proof';
import { CallerIdentity } from './caller-identity';
import {
  API_TOKEN_HEADER,
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_CREDENTIAL_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLER_SIGNATURE_HEADER,
} from './invocation.constants';
import { NonceCache } from './nonce-cache';
import { peerIdentityOf, type PeerIdentity } from './peer-certificate';
import { BodyDigestUnavailable, installBodyDigestTap, requestBodyDigest } from './request-body-digest';
import { isMalformed, requestTargetOf, type RequestTarget } from './request-target';
import { workloadIdentityOf } from './workload-identity';

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
 *
 * Who calls, in order of strength:
 * - a TLS client certificate from our trust anchors: the caller is its SPIFFE
 *   id (untrusted or id-less certificate → 401; a `dapr-caller-app-id` or
 *   namespace header that says otherwise → 401);
 * - keys mode (an identity `authority` is configured): the claimed
 *   `dapr-caller-app-id` must come with a credential signed by the authority
 *   and an Ed25519 proof over this very call;
 * - token mode (`apiToken`): the claim must come with an HMAC proof keyed
 *   from the shared token (the token itself is never sent);
 * - nothing to check against: the claim headers are removed, so handlers
 *   never mistake them for a proven identity.
 * Proofs are single-use (nonce cache) and expire after SIGNATURE_WINDOW_MS.
 *
 * Then Dapr's `accessControl` decides (403 on denial) on the path read both
 * the way the router dispatches it and the way Dapr normalises it
 * (`requestTargetOf`); either reading denied → denied. Request-targets that
 * cannot be read that way (absolute-form, undecodable, control characters)
 * are refused with 400 whenever there is something to decide.
 */
@Injectable()
export class InvocationAccessGuard implements CanActivate, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DaprAccessControl');
  private acl?: AccessControlPolicy;
  private token?: CallerIdentity;
  private keys?: CallerKeyVerifier;
  private readonly nonces = new NonceCache();
  private readonly appId: string;
  private readonly namespace: string;
  private removeTap?: () => void;

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly metrics: DaprMetrics,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.appId = runtime.appId;
    this.namespace = runtime.options.namespace || 'default';
  }

  async onModuleInit(): Promise<void> {
    await this.runtime.start();
    const options = this.runtime.options;
    if (options.apiToken) this.token = new CallerIdentity(options.apiToken);
    this.keys = appIdentityOf(this.runtime)?.verifier;
    let spec: AccessControlSpec | undefined = options.accessControl;
    let source: ConfigSource | undefined;
    if (!spec) {
      const res = this.runtime.resourcesOf('Configuration').find((r) => r.spec.accessControl !== undefined);
      spec = res?.spec.accessControl as AccessControlSpec | undefined;
      source = res?.source;
    }
    if (spec) {
      this.acl = new AccessControlPolicy(spec, source);
      this.logger.log(`access control active for ${this.appId}`);
      if (this.acl.hasAppPolicies && !this.token && !this.keys && !workloadIdentityOf(this.runtime)) {
        this.logger.warn(
          `accessControl has app policies, but ${this.appId} can verify no caller (no apiToken, identity.authority or mTLS): ` +
            `every caller is unverified and gets the global default action`,
        );
      }
    }
    if (this.token || this.keys) this.removeTap = installBodyDigestTap(this.adapterHost?.httpAdapter?.getHttpServer?.());
  }

  onApplicationShutdown(): void {
    this.removeTap?.();
    this.removeTap = undefined;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    const headers = req.headers;
    // Plain HTTP costs one property read here; TLS peers are read once per connection.
    const peer = peerIdentityOf(req.socket);
    const claimed = first(headers[CALLER_APP_ID_HEADER]);
    if (!this.acl && !peer && claimed === undefined) {
      delete headers[CALLER_NAMESPACE_HEADER];
      return true;
    }
    const url = req.originalUrl ?? req.url;
    const target = requestTargetOf(url);
    if (isMalformed(target)) throw new BadRequestException({ errorCode: 'ERR_MALFORMED_REQUEST', message: target.malformed });
    if (peer) return this.admit(req, this.fromCertificate(req, peer), target);
    if (claimed !== undefined && this.runtime.options.sidecar) return this.admit(req, this.fromSidecar(req, claimed), target);
    if (claimed === undefined || (!this.keys && !this.token)) {
      // Nothing proves these: do not let handlers mistake them for a verified identity.
      delete headers[CALLER_APP_ID_HEADER];
      delete headers[CALLER_NAMESPACE_HEADER];
      return this.admit(req, {}, target);
    }
    return this.verifySigned(req, claimed, url).then((caller) => this.admit(req, caller, target));
  }

  private admit(req: HttpRequestLike, caller: CallerInfo, target: RequestTarget): boolean {
    if (caller.appId) this.metrics.invocationRequestReceived(caller.appId, target.routerPath);
    if (!this.acl) return true;
    const decision = this.decide(caller, req.method, target);
    if (decision.action === 'deny') {
      throw new ForbiddenException({
        errorCode: 'ERR_PERMISSION_DENIED',
        message: `access control policy (${decision.scope}) denies ${req.method} ${target.daprPath} to ${caller.appId ? `app "${caller.appId}"` : 'an unverified caller'}`,
      });
    }
    return true;
  }

  /** Allowed only if both the router's and Dapr's reading of the path are. */
  private decide(caller: CallerInfo, method: string, target: RequestTarget): AclDecision {
    const acl = this.acl!;
    const routed = acl.decide(caller, method, target.routerPath);
    if (target.daprPath === target.routerPath || routed.action === 'deny') return routed;
    return acl.decide(caller, method, target.daprPath);
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

  /**
   * Sidecar mode: daprd proved the caller (mTLS between sidecars) and, when
   * the app has an api token (APP_API_TOKEN), vouches for its headers by
   * presenting it — the only hop where the token travels, over loopback.
   */
  private fromSidecar(req: HttpRequestLike, claimed: string): CallerInfo {
    const headers = req.headers;
    if (this.token && !this.token.tokenMatches(first(headers[API_TOKEN_HEADER]))) {
      throw new UnauthorizedException({ errorCode: 'ERR_UNAUTHENTICATED', message: 'the sidecar did not present the app api token' });
    }
    return { appId: claimed, namespace: first(headers[CALLER_NAMESPACE_HEADER]) ?? '', trustDomain: this.acl?.trustDomain };
  }

  /** Checks the claimed caller's proof over this request (keys mode if configured, else token mode). */
  private async verifySigned(req: HttpRequestLike, claimed: string, url: string): Promise<CallerInfo> {
    const headers = req.headers;
    const fail = (why: string): never => {
      throw new UnauthorizedException({ errorCode: 'ERR_UNAUTHENTICATED', message: `caller "${claimed}" is not proven: ${why}` });
    };
    const callee = first(headers[CALLEE_APP_ID_HEADER]) ?? this.appId;
    if (callee !== this.appId) fail(`the call is for app "${callee}", this is "${this.appId}"`);
    const signature = first(headers[CALLER_SIGNATURE_HEADER]);
    if (signature === undefined) fail(`no ${CALLER_SIGNATURE_HEADER}`);
    let bodyDigest: string;
    try {
      bodyDigest = await requestBodyDigest(req, this.runtime.limits.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyDigestUnavailable)) throw err;
      if (/larger than/.test(err.message)) throw new PayloadTooLargeException({ errorCode: 'ERR_MALFORMED_REQUEST', message: err.message });
      return fail(err.message);
    }
    const namespace = first(headers[CALLER_NAMESPACE_HEADER]) ?? '';
    const call: SignedCall = { caller: claimed, namespace, callee, calleeNamespace: this.namespace, method: req.method, path: url, bodyDigest };
    const now = Date.now();
    let caller: CallerInfo;
    let nonce: string;
    let at: number;
    if (this.keys) {
      const verified = this.keys.verify(first(headers[CALLER_CREDENTIAL_HEADER]), signature, call, now);
      if (typeof verified === 'string') return fail(verified);
      caller = { appId: verified.id.appId, namespace: verified.id.namespace, trustDomain: verified.id.trustDomain };
      ({ nonce, t: at } = verified.proof);
    } else {
      const proof = this.token!.verify(signature, call, now);
      if (!proof) return fail('no valid, fresh signature made with the api token for this call (method, path, body, callee)');
      caller = { appId: claimed, namespace, trustDomain: this.acl?.trustDomain };
      ({ nonce, t: at } = proof);
    }
    if (!this.nonces.add(nonce, at, now)) fail('this signed request was already used (replay)');
    return caller;
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
