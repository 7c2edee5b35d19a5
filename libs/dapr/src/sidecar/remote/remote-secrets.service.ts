import { metadataQuery, seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/** `SecretsService` in sidecar mode: daprd's secrets API. */
export class RemoteSecretsService {
  constructor(private readonly client: SidecarClient) {}

  async get(store: string, key: string, metadata: Record<string, string> = {}): Promise<Record<string, string>> {
    const res = await this.client.call({ method: 'GET', path: `/v1.0/secrets/${seg(store)}/${seg(key)}${metadataQuery(metadata)}` });
    return res.body.length ? (JSON.parse(res.body.toString('utf8')) as Record<string, string>) : {};
  }

  async getBulk(store: string, metadata: Record<string, string> = {}): Promise<Record<string, Record<string, string>>> {
    const res = await this.client.call({ method: 'GET', path: `/v1.0/secrets/${seg(store)}/bulk${metadataQuery(metadata)}` });
    return res.body.length ? (JSON.parse(res.body.toString('utf8')) as Record<string, Record<string, string>>) : {};
  }
}
