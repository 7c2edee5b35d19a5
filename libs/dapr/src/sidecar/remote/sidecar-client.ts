import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Pool } from 'undici';
import type Dispatcher from 'undici/types/dispatcher';
import { SidecarApiError, SidecarConfigError, SidecarUnavailableError } from '../../errors/sidecar.errors';

/** `DaprModule.forRoot({ sidecar })`: `true` for daprd at DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT, or where it is. */
export type SidecarModeOption = boolean | { httpEndpoint?: string; apiToken?: string };

export interface SidecarTarget {
  endpoint: string;
  apiToken?: string;
}

/** Where daprd is: the option, else DAPR_HTTP_ENDPOINT, else 127.0.0.1:DAPR_HTTP_PORT (3500), as the SDKs look. */
export function sidecarTarget(option: SidecarModeOption, env: NodeJS.ProcessEnv = process.env): SidecarTarget {
  const o = typeof option === 'object' ? option : {};
  let endpoint = o.httpEndpoint ?? (env.DAPR_HTTP_ENDPOINT || `http://127.0.0.1:${env.DAPR_HTTP_PORT || '3500'}`);
  endpoint = endpoint.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new SidecarConfigError(`sidecar.httpEndpoint "${endpoint}" is not a URL such as http://127.0.0.1:3500`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SidecarConfigError(`sidecar.httpEndpoint "${endpoint}" must be http:// or https://`);
  return { endpoint: url.origin, apiToken: o.apiToken ?? (env.DAPR_API_TOKEN || undefined) };
}

export interface SidecarResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Buffer;
}

export interface SidecarRequest {
  method: Dispatcher.HttpMethod;
  /** Path and query under the endpoint, e.g. `/v1.0/state/orders/k?metadata.ttlInSeconds=5`. */
  path: string;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

let version: string | undefined;
function packageVersion(): string {
  if (version) return version;
  try {
    version = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    version = '0.0.0';
  }
  return version;
}

/**
 * The HTTP client of sidecar mode: one keep-alive pool to daprd, and requests
 * shaped like those of the official JS SDK's DaprClient (the same headers:
 * `accept`, `accept-encoding`, `content-type`, `dapr-api-token`, `user-agent`
 * naming this library). Answers come back raw; the remote services read them.
 */
export class SidecarClient {
  private readonly pool: Pool;
  private readonly base: Record<string, string>;

  constructor(readonly target: SidecarTarget) {
    this.pool = new Pool(target.endpoint, { keepAliveTimeout: 30_000, connect: { timeout: 5_000 } });
    this.base = { accept: '*/*', 'accept-encoding': 'gzip,deflate', 'user-agent': `nest-dapr/v${packageVersion()} http/1` };
    if (target.apiToken) this.base['dapr-api-token'] = target.apiToken;
  }

  async request(req: SidecarRequest): Promise<SidecarResponse> {
    const headers: Record<string, string> = { ...req.headers, ...this.base };
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({ method: req.method, path: req.path, headers, body: req.body });
    } catch (err) {
      throw new SidecarUnavailableError(this.target.endpoint, (err as Error).message, { cause: err });
    }
    let body = Buffer.from(await res.body.arrayBuffer());
    const encoding = res.headers['content-encoding'];
    if (encoding === 'gzip') body = gunzipSync(body);
    else if (encoding === 'deflate') body = inflateSync(body);
    return { status: res.statusCode, headers: res.headers, body };
  }

  /** The answer, or the typed error daprd's `{errorCode, message}` body describes. */
  async call(req: SidecarRequest, okStatuses: readonly number[] = [200, 204]): Promise<SidecarResponse> {
    const res = await this.request(req);
    if (okStatuses.includes(res.status)) return res;
    throw apiErrorOf(res);
  }

  /** Resolves once daprd answers `GET /v1.0/healthz/outbound` (its components are up), or rejects after `timeoutMs`. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const res = await this.request({ method: 'GET', path: '/v1.0/healthz/outbound' });
        if (res.status === 204 || res.status === 200) return;
        last = `healthz/outbound answered ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new SidecarUnavailableError(this.target.endpoint, `not ready after ${timeoutMs} ms (${last})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}

/** daprd's error answer as a typed error (the caller maps known codes to the block's own error classes). */
export function apiErrorOf(res: SidecarResponse): SidecarApiError {
  const text = res.body.toString('utf8');
  let errorCode = 'ERR_SIDECAR';
  let message = text || `sidecar answered ${res.status}`;
  try {
    const json = JSON.parse(text) as { errorCode?: unknown; message?: unknown };
    if (typeof json.errorCode === 'string') errorCode = json.errorCode;
    if (typeof json.message === 'string') message = json.message;
  } catch {
    // not JSON: keep the text
  }
  return new SidecarApiError(res.status, errorCode, message);
}
