import { CLOUD_EVENT_SPEC_VERSION, CLOUD_EVENT_TYPE } from '../../pubsub/pubsub.constants';
import { isJsonContentType } from '../../pubsub/cloud-event.codec';
import type { StateSetRequest } from '../../spi/state.spi';

/** What Dapr's PublishInternal needs to turn one upsert into the internal CloudEvent. */
export interface OutboxEventInput {
  /** The marker key, `outbox-<uuid>`: also the CloudEvent id. */
  id: string;
  appId: string;
  /** The internal pub/sub (`outboxPubsub`): the event's `pubsubname` until the relay rewrites it. */
  outboxPubsub: string;
  /** The upsert whose value is published (a projection's, when the transaction has one for the key). */
  payload: StateSetRequest;
  /** The metadata of the upsert itself (with the request's), copied onto the event as fields. */
  fields: Record<string, string>;
  /** W3C traceparent of the transaction: Dapr writes it into `traceid` (and leaves `traceparent` empty). */
  traceparent: string;
  tracestate: string;
}

/**
 * The internal CloudEvent of one upsert, field for field as Dapr's
 * `PublishInternal` builds it with `NewCloudEventsEnvelope`: id `outbox-<uuid>`,
 * source the app id, Dapr's event type, `datacontenttype` from the upsert's
 * content type (`text/plain` without one), the value as `data` (parsed JSON
 * for a JSON content type, base64 `data_base64` for a binary one, text
 * otherwise), the transaction's trace in `traceid`, then every metadata entry
 * of the upsert as a field of its own (`data` and `id` excepted), so metadata
 * such as `type` or `source` overrides Dapr's values. The relay later sets
 * `topic` and `pubsubname` and publishes the event as it is.
 */
export function outboxEvent(input: OutboxEventInput): Record<string, unknown> {
  const req = input.payload;
  const contentType = req.contentType ?? req.metadata.contentType ?? '';
  const dataContentType = contentType || 'text/plain';
  const event: Record<string, unknown> = {
    id: input.id,
    specversion: CLOUD_EVENT_SPEC_VERSION,
    datacontenttype: dataContentType,
    source: input.appId || 'Dapr',
    type: CLOUD_EVENT_TYPE,
    topic: '',
    pubsubname: input.outboxPubsub,
    traceid: input.traceparent,
    traceparent: '',
    tracestate: input.tracestate,
    time: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19) + 'Z',
  };
  Object.assign(event, eventData(req, contentType, dataContentType));
  for (const [k, v] of Object.entries(input.fields)) {
    if (k === 'data' || k === 'id' || k === '__proto__') continue;
    event[k] = v;
  }
  return event;
}

/**
 * Dapr's payload rules. Bytes are published as they are; a value with a JSON
 * content type as its JSON; any other value as its text (`fmt "%v"` in Dapr:
 * a string without quotes, a number or boolean as written; an object, which
 * Go would print as `map[...]`, as its JSON text). Then the envelope reads
 * those bytes by `datacontenttype`: JSON is parsed (kept as text when it does
 * not parse), a binary type becomes `data_base64`, anything else is text.
 */
function eventData(req: StateSetRequest, contentType: string, dataContentType: string): { data?: unknown; data_base64?: string } {
  let bytes: Buffer;
  if (req.isBinary) {
    const v = req.value;
    bytes = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  } else {
    const json = req.text ?? Buffer.from(req.value).toString('utf8');
    if (contentType && isJsonContentType(contentType)) {
      bytes = Buffer.from(json, 'utf8');
    } else {
      const value: unknown = JSON.parse(json);
      bytes = Buffer.from(typeof value === 'string' ? value : json, 'utf8');
    }
  }
  if (isJsonContentType(dataContentType)) {
    const text = bytes.toString('utf8');
    try {
      return { data: JSON.parse(text) };
    } catch {
      return { data: text };
    }
  }
  if (isBinaryContentType(dataContentType)) return { data_base64: bytes.toString('base64') };
  return { data: bytes.toString('utf8') };
}

/** components-contrib `contenttype.IsBinaryContentType`. */
function isBinaryContentType(ct: string): boolean {
  return ct.toLowerCase().startsWith('application/octet-stream');
}
