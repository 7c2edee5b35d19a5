import { InvocationError } from '../../errors/invocation.errors';
import { encodeBody, headerValue, isJson } from '../../invocation/invoke-body.codec';
import type { InvokeHttpMethod, InvokeOptions } from '../../invocation/invocation.interfaces';
import { seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/**
 * `InvocationService` in sidecar mode: `/v1.0/invoke/<app-id>/method/<method>`
 * on daprd, which resolves the app, applies its policies and mTLS. Answers
 * are decoded as in-process (JSON, text or bytes); non-2xx throws InvocationError.
 */
export class RemoteInvocationService {
  constructor(private readonly client: SidecarClient) {}

  async invoke<T = unknown>(appId: string, method: string, options: InvokeOptions = {}): Promise<T> {
    const verb = (options.httpMethod?.toUpperCase() ?? (options.body === undefined ? 'GET' : 'POST')) as InvokeHttpMethod;
    const encoded = encodeBody(options.body);
    let path = `/v1.0/invoke/${seg(appId)}/method/${method.replace(/^\//, '')}`;
    if (options.query) {
      const qs = new URLSearchParams(options.query).toString();
      if (qs) path += (path.includes('?') ? '&' : '?') + qs;
    }
    const headers: Record<string, string> = {};
    for (const k in options.headers ?? {}) headers[k.toLowerCase()] = options.headers![k];
    const res = await this.client.request({
      method: verb,
      path,
      headers,
      body: encoded.payload === undefined ? undefined : typeof encoded.payload === 'string' ? encoded.payload : Buffer.from(encoded.payload),
      contentType: headers['content-type'] ?? encoded.contentType,
    });
    const body = decode(res.body, headerValue(res.headers, 'content-type'));
    if (res.status < 200 || res.status > 299) throw new InvocationError(appId, method, res.status, body, res.headers);
    return body as T;
  }
}

function decode(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  if (isJson(contentType)) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      return body.toString('utf8');
    }
  }
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('text/') || ct.includes('xml')) return body.toString('utf8');
  return body;
}
