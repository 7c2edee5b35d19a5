import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError, malformed } from './api-error';

const EMPTY_BODY = Buffer.alloc(0);
const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * One request to the Dapr HTTP API with the few helpers every handler needs:
 * route parameters, `metadata.*` query parameters, a size-bounded body, and
 * Dapr-shaped answers. Plain node:http underneath; nothing is parsed that a
 * handler does not ask for.
 */
export class HttpExchange {
  /** Route parameters, decoded. */
  params: Record<string, string> = {};
  /** The undecoded rest of the path for `*` routes (invocation forwards it as is). */
  rest = '';
  private searchParams?: URLSearchParams;
  private bodyPromise?: Promise<Buffer>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly path: string,
    /** The query string without `?` ('' when none). */
    readonly rawQuery: string,
    private readonly maxBodySize: number,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get query(): URLSearchParams {
    return (this.searchParams ??= new URLSearchParams(this.rawQuery));
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Dapr's request metadata: query parameters `metadata.<key>`, prefix stripped, first value wins. */
  metadata(): Record<string, string> {
    if (this.rawQuery.indexOf('metadata.') < 0) return NO_METADATA;
    const out: Record<string, string> = {};
    for (const [k, v] of this.query) {
      if (k.length > 9 && k.startsWith('metadata.')) {
        const key = k.slice(9);
        if (!(key in out)) out[key] = v;
      }
    }
    return out;
  }

  /** The request body, bounded by `--max-body-size` (413 past it). */
  body(): Promise<Buffer> {
    return (this.bodyPromise ??= readBody(this.req, this.maxBodySize));
  }

  /** The body as JSON; a body that is not JSON is Dapr's 400 ERR_MALFORMED_REQUEST. */
  async json<T = unknown>(): Promise<T | undefined> {
    const buf = await this.body();
    if (buf.length === 0) return undefined;
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (err) {
      throw malformed(`failed deserializing HTTP body: ${(err as Error).message}`);
    }
  }

  send(status: number, body?: Buffer | string, contentType?: string, headers?: OutgoingHttpHeaders): void {
    const res = this.res;
    if (headers) for (const k in headers) res.setHeader(k, headers[k]!);
    if (body === undefined || body.length === 0) {
      res.writeHead(status);
      res.end();
      return;
    }
    if (contentType && !res.hasHeader('content-type')) res.setHeader('content-type', contentType);
    res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    res.writeHead(status);
    res.end(body);
  }

  sendJson(status: number, value: unknown, headers?: OutgoingHttpHeaders): void {
    this.send(status, JSON.stringify(value), 'application/json', headers);
  }

  empty(status = 204): void {
    this.res.writeHead(status);
    this.res.end();
  }

  fail(err: ApiError): void {
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.send(err.status, err.body(), 'application/json', err.headers);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  if (declared === 0 || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
    return Promise.resolve(EMPTY_BODY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'ERR_BODY_TOO_LARGE', `request body is larger than the maximum of ${limit} bytes (--max-body-size)`);
}

export { EMPTY_BODY };
