import { STATUS_CODES } from 'node:http';
import type { Agent as UndiciAgent } from 'undici';
import { MissingMetadataError } from '../../errors/component-config.error';
import { BindingInvokeError, HttpBindingStatusError } from '../../errors/bindings.errors';
import { loadPackage } from '../../spi/kit/load-package';
import type { InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { HTTP_BINDING_METADATA } from './http.metadata';

type Undici = typeof import('undici');

const TYPE = 'bindings.http';
const OPERATIONS = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'] as const;
const DEFAULT_CT = 'application/json; charset=utf-8';
const DEFAULT_MAX_BODY = 100 * 1024 * 1024; // Dapr's 100Mi
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `bindings.http` (components-contrib `bindings/http`): every operation is an
 * HTTP verb (`create` = POST) against `url` + request metadata `path`.
 * Request metadata whose key starts with a capital letter becomes a header;
 * `traceparent`/`tracestate` are forwarded. Response metadata: `statusCode`,
 * `status` and every response header in Go's canonical form (`Content-Type`;
 * multiple values joined with ", ").
 * A non-2xx status is an error unless `errorIfNot2XX` is false. Uses undici.
 */
export class HttpBinding implements OutputBindingDriver {
  private name = '';
  private url!: URL;
  private agent?: UndiciAgent;
  private undici!: Undici;
  private timeoutMs = 0;
  private maxBody = DEFAULT_MAX_BODY;
  private errorIfNot2XX = true;
  private securityToken?: string;
  private securityTokenHeader?: string;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    const m = decodeMetadata(HTTP_BINDING_METADATA, md);
    try {
      this.url = new URL(m.url);
    } catch {
      throw metadataError(md, 'url', 'is not a valid absolute URL');
    }
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw metadataError(md, 'url', 'must use http or https');
    this.timeoutMs = Math.max(0, m.responseTimeout);
    // Dapr: a value <= 0 means no limit.
    this.maxBody = m.maxResponseBodySize > 0 ? m.maxResponseBodySize : Number.MAX_SAFE_INTEGER;
    this.errorIfNot2XX = m.errorIfNot2XX;
    this.securityToken = m.securityToken || undefined;
    this.securityTokenHeader = m.securityTokenHeader || undefined;
    if (this.securityToken && !this.securityTokenHeader) throw new MissingMetadataError(md.name, 'securityTokenHeader', md.source);
    this.undici = await loadPackage<Undici>(TYPE, 'undici');
    const caCert = m.MTLSRootCA || undefined;
    const cert = m.MTLSClientCert || undefined;
    const key = m.MTLSClientKey || undefined;
    this.agent = new this.undici.Agent({
      connect: caCert || cert ? { ca: caCert, cert, key } : undefined,
      headersTimeout: this.timeoutMs || undefined,
      bodyTimeout: this.timeoutMs || undefined,
    });
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const op = req.operation.toLowerCase();
    const method = op === 'create' ? 'POST' : op.toUpperCase();
    const headers: Record<string, string> = { 'content-type': DEFAULT_CT, accept: DEFAULT_CT };
    for (const [k, v] of Object.entries(req.metadata)) {
      if (isHeaderKey(k)) headers[k.toLowerCase()] = v;
    }
    if (req.metadata.traceparent) headers.traceparent = req.metadata.traceparent;
    if (req.metadata.tracestate) headers.tracestate = req.metadata.tracestate;
    if (this.securityToken && this.securityTokenHeader) headers[this.securityTokenHeader.toLowerCase()] = this.securityToken;

    const target = this.target(req.metadata.path);
    const body = WITH_BODY.has(method) && req.data && req.data.length > 0 ? req.data : undefined;
    let res: Awaited<ReturnType<Undici['request']>>;
    try {
      res = await this.undici.request(target, {
        method: method as 'GET',
        headers,
        body,
        dispatcher: this.agent,
        signal: this.timeoutMs ? AbortSignal.timeout(this.timeoutMs) : undefined,
      });
    } catch (err) {
      throw new BindingInvokeError(this.name, req.operation, `request to ${redactUrl(target)} failed: ${(err as Error).message}`, {}, { cause: err });
    }

    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) metadata[canonicalHeaderKey(k)] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    metadata.statusCode = String(res.statusCode);
    metadata.status = `${res.statusCode} ${statusText(res.statusCode)}`.trim();

    const data = await this.readBody(res.body, req.operation, metadata);
    if (this.errorIfNot2XX && (res.statusCode < 200 || res.statusCode > 299)) {
      throw new HttpBindingStatusError(this.name, req.operation, res.statusCode, data.toString('utf8'), metadata);
    }
    return { data, metadata, contentType: firstHeader(res.headers['content-type']) };
  }

  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = undefined;
  }

  private target(path: string | undefined): string {
    if (!path) return this.url.toString();
    const base = this.url.toString().replace(/\/+$/, '');
    return `${base}/${path.replace(/^\/+/, '')}`;
  }

  private async readBody(
    body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown },
    operation: string,
    metadata: Record<string, string>,
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxBody) {
        body.destroy();
        throw new BindingInvokeError(
          this.name,
          operation,
          `response body exceeds maxResponseBodySize (${this.maxBody} bytes)`,
          metadata,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}

/** Go's textproto.CanonicalMIMEHeaderKey (`content-type` → `Content-Type`), as Dapr reports response headers. */
function canonicalHeaderKey(k: string): string {
  return k.toLowerCase().replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

/** Go's HTTP binding treats a key starting with an upper-case letter as a header. */
function isHeaderKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 65 && c <= 90;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Drops userinfo and query (may hold credentials) from a URL shown in errors. */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '(url)';
  }
}

function statusText(code: number): string {
  return STATUS_CODES[code] ?? '';
}
