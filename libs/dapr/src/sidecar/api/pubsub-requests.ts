import { PubSubEventsSerError } from '../../errors/pubsub.errors';
import type { BulkPublishEntry } from '../../pubsub/pubsub.interfaces';
import { apiErrorOf, type StatusTable } from '../http/api-error';

/** Statuses of the publish API (`dapr:pkg/api/errors/pubsub.go`). */
export const PUBSUB_STATUS: StatusTable = {
  ERR_PUBSUB_EMPTY: 404,
  ERR_TOPIC_NAME_EMPTY: 404,
  ERR_PUBSUB_NOT_FOUND: 404,
  ERR_PUBSUB_NOT_CONFIGURED: 400,
  ERR_PUBSUB_FORBIDDEN: 403,
  ERR_PUBSUB_REQUEST_METADATA: 400,
  ERR_PUBSUB_CLOUD_EVENTS_SER: 500,
  ERR_PUBSUB_EVENTS_SER: 400,
  ERR_PUBSUB_PUBLISH_MESSAGE: 500,
};

export const pubsubApiError = (err: unknown) => apiErrorOf(err, PUBSUB_STATUS, 'ERR_PUBSUB_PUBLISH_MESSAGE');

/**
 * Bytes of one bulk publish entry's `event`, as daprd's `ConvertEventToBytes`
 * makes them: base64 for octet-stream, a string for text and XML, JSON for
 * JSON and CloudEvents; any other content type is refused.
 */
export function bulkEventBytes(entryId: string, event: unknown, contentType: string): Buffer {
  const base = contentType.split(';')[0].trim().toLowerCase();
  if (base === 'application/octet-stream') {
    if (typeof event !== 'string') throw new PubSubEventsSerError(`entry ${entryId}: an application/octet-stream event must be a base64 string`);
    return Buffer.from(event, 'base64');
  }
  if (base.startsWith('text/') || base === 'application/xml') {
    if (typeof event !== 'string') throw new PubSubEventsSerError(`entry ${entryId}: a ${base} event must be a string`);
    return Buffer.from(event, 'utf8');
  }
  if (base === 'application/json' || base === 'application/cloudevents+json' || base.endsWith('+json')) {
    return Buffer.from(JSON.stringify(event === undefined ? null : event), 'utf8');
  }
  throw new PubSubEventsSerError(`entry ${entryId}: cannot convert an event of content type ${contentType} to bytes`);
}

/** Checks the entry ids (required, unique) and turns events into bytes. */
export function bulkEntries(
  raw: { entryId: unknown; event: unknown; contentType: unknown; metadata?: Record<string, string> }[],
  eventBytes: (entryId: string, event: unknown, contentType: string) => Buffer = bulkEventBytes,
): BulkPublishEntry[] {
  const seen = new Set<string>();
  return raw.map((e) => {
    const entryId = e.entryId;
    if (typeof entryId !== 'string' || entryId === '') throw new PubSubEventsSerError('every bulk publish entry needs an entryId');
    if (seen.has(entryId)) throw new PubSubEventsSerError(`duplicate entryId "${entryId}" in bulk publish`);
    seen.add(entryId);
    const contentType = typeof e.contentType === 'string' && e.contentType ? e.contentType : 'application/json';
    const entry: BulkPublishEntry = { entryId, event: eventBytes(entryId, e.event, contentType), contentType };
    if (e.metadata) entry.metadata = e.metadata;
    return entry;
  });
}
