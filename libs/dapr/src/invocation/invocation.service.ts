import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { Pool } from 'undici';
import type Dispatcher from 'undici/types/dispatcher';
import { InvocationError, InvocationResponseTooLargeError, InvocationTransportError } from '../errors/invocation.errors';
import type { OutboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
import { NEVER_ABORTED } from '../resiliency/resiliency-policy';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime } from '../runtime/component-runtime';
import { appIdentityOf, type AppKeySigner } from './app-identity';
import { builtinInvokePolicy } from './builtin-invoke-policy';
import { CallDeadline } from './call-deadline';
import { bodyDigestOf, type SignedCall } from './call-proof';
import { CallerIdentity } from './caller-identity';
import {
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_CREDENTIAL_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLER_SIGNATURE_HEADER,
} from './invocation.constants';
import type { InvokeHttpMethod, InvokeOptions } from './invocation.interfaces';
import {
  BodyDecodeError,
  decodeBody,
  decodeErrorBody,
  encodeBody,
  headerValue,
  isJson,
  parseJsonBody,
  type EncodedBody,
} from './invoke-body.codec';
import { mtlsConnectOptions } from './mtls-connect-options';
import { NameResolutionService } from './name-resolution.service';
import { workloadIdentityOf, type WorkloadIdentity } from './workload-identity';

/** Per-call state shared by the attempts of one invocation. */
interface Call {
  /** The target as given: `app` or Dapr's cross-namespace `app.namespace`. */
  appId: string;
  /** The app id alone (Dapr's `dapr-callee-app-id`, the signed callee, the SPIFFE id's last part). */
  calleeId: string;
  /** The callee's namespace when the target named one. */
  calleeNamespace?: string;
  method: string;
  httpMethod: InvokeHttpMethod;
  path: string;
  body: EncodedBody;
  /** SHA-256 of the body, computed once when the call is signed. */
  bodyDigest?: string;
  userHeaders?: Record<string, string>;
  /** Every call has one: `timeoutMs`, else limits.invokeTimeoutMs. */
  deadline: CallDeadline;
  /** Status of the last answer, for the response metric. */
  status?: number;
  /** `content-length` of the last answer, for `dapr_http_client_received_bytes`. */
  receivedBytes?: number;
}

/**
 * Service invocation (README "Call another app"): resolves the app id, calls its route over a
 * pooled keep-alive undici `Pool` per target origin, adds Dapr's headers
 * (caller/callee app id, namespace, W3C trace context) and a proof of the
 * caller's id (an Ed25519 signature with per-app keys, an HMAC keyed from the
 * api token — never the token itself), runs under the target app's resiliency
 * policy (or the built-in one that never duplicates a POST), and decodes the
 * answer by content type. Non-2xx answers throw `InvocationError`. Every call
 * has a deadline (`timeoutMs`, else `limits.invokeTimeoutMs`) and answers are
 * read up to `limits.maxBodySize`.
 */
@Injectable()
export class InvocationService implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();
  /** One operation per target app: its policy (or the built-in retry), span, metrics. */
  private readonly operations = new Map<string, OutboundOperation<Call>>();
  private readonly identity?: CallerIdentity;
  private readonly signer?: AppKeySigner;
  private readonly appId: string;
  private readonly namespace: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  /** This app's certificates when mTLS is configured: used for every `https:` target. */
  private readonly workload?: WorkloadIdentity;
  private closed = false;

  constructor(
    runtime: ComponentRuntime,
    private readonly names: NameResolutionService,
    private readonly resiliency: ResiliencyService,
    private readonly runner: OperationRunner,
  ) {
    this.appId = runtime.appId;
    this.namespace = runtime.options.namespace ?? '';
    if (runtime.options.apiToken) this.identity = new CallerIdentity(runtime.options.apiToken);
    this.signer = appIdentityOf(runtime)?.signer;
    this.workload = workloadIdentityOf(runtime);
    this.timeoutMs = runtime.limits.invokeTimeoutMs;
    this.maxResponseBytes = runtime.limits.maxBodyBytes;
  }

  async invoke<T = unknown>(appId: string, method: string, options: InvokeOptions = {}): Promise<T> {
    const httpMethod = (options.httpMethod?.toUpperCase() ?? (options.body === undefined ? 'GET' : 'POST')) as InvokeHttpMethod;
    const dot = appId.indexOf('.');
    const call: Call = {
      appId,
      calleeId: dot < 0 ? appId : appId.slice(0, dot),
      calleeNamespace: dot < 0 ? undefined : appId.slice(dot + 1),
      method,
      httpMethod,
      path: buildPath(method, options.query),
      body: encodeBody(options.body),
      userHeaders: options.headers,
      deadline: new CallDeadline(options.timeoutMs ?? this.timeoutMs),
    };
    // A call without a deadline could wait for ever on a server that never answers or trickles.
    try {
      return (await this.runner.run(this.operations.get(appId) ?? this.operationFor(appId), call, this.attemptFn)) as T;
    } finally {
      call.deadline.clear();
    }
  }

  /** One attempt of a call (made once: the hot path passes it to the runner without a closure). */
  private readonly attemptFn = (span: Span, signal: AbortSignal, call: Call): Promise<unknown> =>
    this.runner.metrics.active ? this.measuredAttempt(call, signal, span) : this.attempt(call, signal, span);

  /** An attempt recorded as Dapr's HTTP client records one (`dapr_http_client_*`; 500 for a transport error, as Dapr). */
  private async measuredAttempt(call: Call, signal: AbortSignal, span: Span): Promise<unknown> {
    const start = performance.now();
    call.receivedBytes = 0;
    let status = 500;
    try {
      const result = await this.attempt(call, signal, span);
      status = call.status ?? 200;
      return result;
    } catch (err) {
      if (err instanceof InvocationError) status = err.status;
      throw err;
    } finally {
      this.runner.metrics.httpClientRequest(call.httpMethod, call.path, status, byteLength(call.body.payload), call.receivedBytes, performance.now() - start);
    }
  }

  /**
   * The target app's operation. A user policy wraps every attempt (its timeout
   * and breaker must see the first one too); the built-in policy only retries,
   * so the first attempt runs bare and the policy takes over after a failure.
   */
  private operationFor(appId: string): OutboundOperation<Call> {
    const { tracer, metrics } = this.runner;
    const op: OutboundOperation<Call> = {
      policy: this.resiliency.policyFor({ kind: 'app', appId }),
      startSpan: (call) => tracer.startInvocationSpan(call.appId, call.method, call.httpMethod),
      begin: (call) => metrics.invocationRequestSent(call.appId, call.method),
      record: (error, elapsedMs, call) =>
        metrics.invocationResponseReceived(
          call.appId,
          call.method,
          error === undefined ? (call.status ?? 200) : error instanceof InvocationError ? error.status : -1,
          elapsedMs,
        ),
      // Attempts throw typed errors already (InvocationError, InvocationTransportError, ...).
      toError: (err) => err as Error,
    };
    if (!op.policy) {
      // A Resiliency resource may override Dapr's built-in service retries by name.
      const override = this.resiliency.builtInRetry('DaprBuiltInServiceRetries');
      op.retryAfterFailure = (first, attempt, call) => builtinInvokePolicy(call.httpMethod, override).continueAfter(first, attempt);
    }
    this.operations.set(appId, op);
    return op;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }

  private async attempt(call: Call, policySignal: AbortSignal, span: Span): Promise<unknown> {
    // Resolved per attempt: a retry may land on another live instance.
    const found = this.names.lookup(call.appId);
    const origin = typeof found === 'string' ? found : await found;
    const headers = this.headersFor(call, span);
    // Only wire abort listeners into undici when something can actually cancel the request.
    const signal = policySignal !== NEVER_ABORTED ? call.deadline.combinedWith(policySignal) : call.deadline;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool(origin, call).request({
        path: call.path,
        method: call.httpMethod,
        headers,
        body: call.body.payload,
        signal,
      });
    } catch (err) {
      throw this.transportError(call, origin, err);
    }
    call.status = res.statusCode;
    if (call.receivedBytes !== undefined) call.receivedBytes = Number(headerValue(res.headers, 'content-length') ?? 0) || 0;
    if (res.statusCode < 200 || res.statusCode > 299) {
      let body: unknown;
      try {
        body = await decodeErrorBody(res);
      } catch (err) {
        throw this.transportError(call, origin, err);
      }
      throw new InvocationError(call.appId, call.method, res.statusCode, body, res.headers);
    }
    try {
      // JSON, the common answer, is read here rather than through another async call.
      if (isJson(headerValue(res.headers, 'content-type'))) return parseJsonBody(await res.body.text());
      return await decodeBody(res);
    } catch (err) {
      if (err instanceof BodyDecodeError) {
        throw new InvocationError(call.appId, call.method, res.statusCode, err.raw, res.headers, `invoke ${call.appId}/${call.method}: ${err.message}`, {
          cause: err,
        });
      }
      throw this.transportError(call, origin, err);
    }
  }

  private headersFor(call: Call, span: Span): Record<string, string> {
    const headers: Record<string, string> = {};
    if (call.body.contentType) headers['content-type'] = call.body.contentType;
    if (call.userHeaders) for (const k in call.userHeaders) headers[k.toLowerCase()] = call.userHeaders[k];
    headers[CALLER_APP_ID_HEADER] = this.appId;
    headers[CALLEE_APP_ID_HEADER] = call.calleeId;
    if (this.namespace) headers[CALLER_NAMESPACE_HEADER] = this.namespace;
    if (this.signer || this.identity) {
      // A fresh proof per attempt: each carries its own nonce and the callee accepts a nonce once.
      const signed: SignedCall = {
        caller: this.appId,
        namespace: this.namespace,
        callee: call.calleeId,
        calleeNamespace: call.calleeNamespace ?? this.namespace,
        method: call.httpMethod,
        path: call.path,
        bodyDigest: (call.bodyDigest ??= bodyDigestOf(call.body.payload)),
      };
      const proofs: string[] = [];
      if (this.signer) {
        proofs.push(this.signer.sign(signed));
        headers[CALLER_CREDENTIAL_HEADER] = this.signer.credential;
      }
      if (this.identity) proofs.push(this.identity.sign(signed));
      headers[CALLER_SIGNATURE_HEADER] = proofs.join(', ');
    }
    // The invocation span (or, with no SDK, the caller's own context) travels as traceparent/tracestate.
    this.runner.tracer.injectTraceContext(headers, span);
    return headers;
  }

  private pool(origin: string, call: Call): Pool {
    // Over mTLS a connection is only good for the app whose SPIFFE id the server
    // proved, so those pools are per app and origin; plain ones stay per origin.
    const mtls = this.workload !== undefined && origin.startsWith('https:');
    const key = mtls ? `${call.appId} ${origin}` : origin;
    let pool = this.pools.get(key);
    if (!pool) {
      if (this.closed) throw new Error('InvocationService is shut down');
      const connect = mtls ? { timeout: 5_000, ...mtlsConnectOptions(this.workload!, call.calleeId, call.calleeNamespace, origin) } : { timeout: 5_000 };
      pool = new Pool(origin, { keepAliveTimeout: 10_000, connect, maxResponseSize: this.maxResponseBytes });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private transportError(call: Call, origin: string, err: unknown): Error {
    if (err instanceof InvocationError || err instanceof InvocationTransportError) return err;
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    if (e?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return new InvocationResponseTooLargeError(call.appId, call.method, origin, this.maxResponseBytes, { cause: err });
    }
    if (call.deadline.aborted) {
      const timedOut = new InvocationTransportError(call.appId, call.method, origin, 'ETIMEDOUT', `timed out after ${call.deadline.ms} ms`, {
        cause: err,
      });
      // The caller's whole budget is spent: another attempt could only fail the same way.
      return Object.assign(timedOut, { nonRetriable: true });
    }
    return new InvocationTransportError(call.appId, call.method, origin, e?.code ?? e?.cause?.code, e?.message ?? String(err), { cause: err });
  }
}

function byteLength(payload: string | Uint8Array | undefined): number {
  if (payload === undefined) return 0;
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

function buildPath(method: string, query?: Record<string, string>): string {
  let path = method.charCodeAt(0) === 47 /* / */ ? method : `/${method}`;
  if (query) {
    const qs = new URLSearchParams(query).toString();
    if (qs) path += (path.includes('?') ? '&' : '?') + qs;
  }
  return path;
}
