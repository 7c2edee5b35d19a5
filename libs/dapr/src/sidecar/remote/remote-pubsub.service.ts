import { PubSubPublishError } from '../../errors/pubsub.errors';
import { SidecarApiError, SidecarConfigError } from '../../errors/sidecar.errors';
import type { BulkPublishEntry, BulkPublishResponse, PublishOptions } from '../../pubsub/pubsub.interfaces';
import { metadataQuery, seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/**
 * `PubSubService` in sidecar mode: daprd's publish API, with the payload and
 * content type the official SDK would send (objects as JSON, strings as text,
 * bytes as octet-stream, a CloudEvent as application/cloudevents+json);
 * `cloudEvent` options travel as daprd's `metadata.cloudevent.*` overrides.
 */
export class RemotePubSubService {
  constructor(private readonly client: SidecarClient) {}

  async publish(pubsub: string, topic: string, data: unknown, options?: PublishOptions): Promise<void> {
    const { body, contentType } = payloadOf(data, options?.contentType);
    const metadata = withCloudEventOverrides(options);
    try {
      await this.client.call({ method: 'POST', path: `/v1.0/publish/${seg(pubsub)}/${topic.split('/').map(seg).join('/')}${metadataQuery(metadata)}`, body, contentType });
    } catch (err) {
      throw publishError(pubsub, topic, err);
    }
  }

  async publishBulk(pubsub: string, topic: string, entries: BulkPublishEntry[], options?: PublishOptions): Promise<BulkPublishResponse> {
    const body = entries.map((e, i) => {
      const contentType = e.contentType ?? options?.contentType ?? defaultContentType(e.event);
      let event: unknown = e.event;
      if (e.event instanceof Uint8Array) event = Buffer.from(e.event).toString('base64');
      const entry: Record<string, unknown> = { entryId: e.entryId ?? String(i), event, contentType };
      if (e.metadata) entry.metadata = e.metadata;
      return entry;
    });
    const res = await this.client.request({
      method: 'POST',
      path: `/v1.0-alpha1/publish/bulk/${seg(pubsub)}/${topic.split('/').map(seg).join('/')}${metadataQuery(withCloudEventOverrides(options))}`,
      body: JSON.stringify(body),
      contentType: 'application/json',
    });
    if (res.status === 204 || res.status === 200) return { failedEntries: [] };
    let json: { failedEntries?: { entryId: string; error: string }[]; errorCode?: string; message?: string } = {};
    try {
      json = JSON.parse(res.body.toString('utf8')) as typeof json;
    } catch {
      // not JSON
    }
    if (json.failedEntries?.length) return { failedEntries: json.failedEntries };
    throw publishError(pubsub, topic, new SidecarApiError(res.status, json.errorCode ?? 'ERR_PUBSUB_PUBLISH_MESSAGE', json.message ?? res.body.toString('utf8')));
  }

  /** The component behind a name: only the sidecar knows it. */
  async target(pubsub: string): Promise<never> {
    throw new SidecarConfigError(`pubsub "${pubsub}" lives in the Dapr sidecar: its component is not available in sidecar mode`);
  }
}

function defaultContentType(data: unknown): string {
  if (typeof data === 'string') return 'text/plain';
  if (data instanceof Uint8Array) return 'application/octet-stream';
  if (isCloudEvent(data)) return 'application/cloudevents+json';
  return 'application/json';
}

function payloadOf(data: unknown, contentType?: string): { body: string | Buffer; contentType: string } {
  const ct = contentType ?? defaultContentType(data);
  if (data instanceof Uint8Array) return { body: Buffer.from(data.buffer, data.byteOffset, data.byteLength), contentType: ct };
  if (typeof data === 'string') return { body: data, contentType: ct };
  return { body: JSON.stringify(data ?? null), contentType: ct };
}

function isCloudEvent(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && ['id', 'source', 'type', 'specversion'].every((k) => Object.prototype.hasOwnProperty.call(obj, k));
}

function withCloudEventOverrides(options?: PublishOptions): Record<string, string> | undefined {
  const ce = options?.cloudEvent;
  if (!ce) return options?.metadata;
  const metadata: Record<string, string> = { ...options?.metadata };
  for (const k of ['id', 'type', 'source', 'subject'] as const) if (ce[k] !== undefined) metadata[`cloudevent.${k}`] = ce[k]!;
  return metadata;
}

function publishError(pubsub: string, topic: string, err: unknown): Error {
  if (err instanceof SidecarApiError && err.errorCode === 'ERR_PUBSUB_PUBLISH_MESSAGE') return new PubSubPublishError(pubsub, topic, err.message, { cause: err });
  return err as Error;
}
