import { decodeBindingData } from '../../bindings/binding-codec';
import type { BindingResponse } from '../../bindings/bindings.service';
import { BindingInvokeError } from '../../errors/bindings.errors';
import { SidecarApiError } from '../../errors/sidecar.errors';
import { seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/** `BindingsService` in sidecar mode: `POST /v1.0/bindings/<name>`; the answer's `metadata.*` headers are its metadata. */
export class RemoteBindingsService {
  constructor(private readonly client: SidecarClient) {}

  async invoke<T = unknown>(name: string, operation: string, data?: unknown, metadata: Record<string, string> = {}): Promise<BindingResponse<T>> {
    const body = JSON.stringify({ data: data instanceof Uint8Array ? Buffer.from(data).toString('base64') : data, metadata, operation });
    const res = await this.client.request({ method: 'POST', path: `/v1.0/bindings/${seg(name)}`, body, contentType: 'application/json' });
    const responseMetadata: Record<string, string> = {};
    for (const h in res.headers) if (h.startsWith('metadata.')) responseMetadata[h.slice(9)] = String(res.headers[h]);
    if (res.status !== 200 && res.status !== 204) {
      const err = apiError(res.status, res.body);
      throw new BindingInvokeError(name, operation, err.message, responseMetadata, { cause: err });
    }
    const contentType = res.headers['content-type'];
    return { data: decodeBindingData(res.body, typeof contentType === 'string' ? contentType : undefined) as T, metadata: responseMetadata };
  }
}

function apiError(status: number, body: Buffer): SidecarApiError {
  try {
    const json = JSON.parse(body.toString('utf8')) as { errorCode?: string; message?: string };
    return new SidecarApiError(status, json.errorCode ?? 'ERR_INVOKE_OUTPUT_BINDING', json.message ?? body.toString('utf8'));
  } catch {
    return new SidecarApiError(status, 'ERR_INVOKE_OUTPUT_BINDING', body.toString('utf8'));
  }
}
