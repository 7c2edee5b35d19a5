import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { ServiceBusPublishMetadataError } from '../../errors/servicebus.errors';
import type { PubSubMessage } from '../../spi/pubsub.spi';

/**
 * Publish metadata keys that become message properties, exactly as Dapr's
 * component reads them (case-sensitive, with its aliases); every other
 * non-empty key becomes an application property.
 */
const SYSTEM_KEYS = new Set([
  'MessageId',
  'id',
  'CorrelationId',
  'correlationID',
  'SessionId',
  'Label',
  'ReplyTo',
  'To',
  'PartitionKey',
  'ContentType',
  'ScheduledEnqueueTimeUtc',
  'ttlInSeconds',
  'ttl',
]);

/** Builds the Service Bus message Dapr's component would send for one publish. */
export function toServiceBusMessage(
  pubsub: string,
  data: Uint8Array,
  metadata: Record<string, string>,
  contentType: string | undefined,
): ServiceBusMessage {
  const msg: ServiceBusMessage = {
    body: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  };
  if (contentType) msg.contentType = contentType;
  let props: Record<string, string> | undefined;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (!SYSTEM_KEYS.has(key)) {
      if (value === '' || value === undefined || value === null) continue;
      (props ??= {})[key] = value;
      continue;
    }
    // SessionId is the one property Dapr sets even when empty... but the SDK rejects ''; skip it like the rest.
    if (value === '' || value === undefined || value === null) continue;
    switch (key) {
      case 'MessageId':
      case 'id':
        msg.messageId = value;
        break;
      case 'CorrelationId':
      case 'correlationID':
        msg.correlationId = value;
        break;
      case 'SessionId':
        msg.sessionId = value;
        break;
      case 'Label':
        msg.subject = value;
        break;
      case 'ReplyTo':
        msg.replyTo = value;
        break;
      case 'To':
        msg.to = value;
        break;
      case 'PartitionKey':
        msg.partitionKey = value;
        break;
      case 'ContentType':
        msg.contentType = value;
        break;
      case 'ScheduledEnqueueTimeUtc':
        msg.scheduledEnqueueTimeUtc = parseTime(pubsub, key, value);
        break;
      default:
        msg.timeToLive = parseTtlMs(pubsub, key, value);
    }
  }
  if (props) msg.applicationProperties = props;
  return msg;
}

/** `ttlInSeconds` (integer seconds) or `ttl` (integer seconds or a Go duration), positive. */
function parseTtlMs(pubsub: string, key: string, value: string): number {
  const v = value.trim();
  let seconds: number | undefined;
  if (/^\d+$/.test(v)) seconds = Number(v);
  else if (key === 'ttl') seconds = goDurationSeconds(v);
  if (seconds === undefined || !(seconds > 0)) {
    throw new ServiceBusPublishMetadataError(pubsub, key, `must be a positive number of seconds, got "${value}"`);
  }
  return seconds * 1000;
}

function goDurationSeconds(v: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    consumed += m[0].length;
  }
  return consumed === v.length && consumed > 0 ? total : undefined;
}

function parseTime(pubsub: string, key: string, value: string): Date {
  // Dapr writes HTTP dates ("Mon, 02 Jan 2006 15:04:05 GMT"); RFC 3339 is accepted too.
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ServiceBusPublishMetadataError(pubsub, key, `is not a date: "${value}"`);
  return new Date(t);
}

/** Received message → the block's message, with Dapr's `metadata.*` keys. */
export function fromReceivedMessage(topic: string, msg: ServiceBusReceivedMessage): PubSubMessage {
  const md: Record<string, string> = {};
  const app = msg.applicationProperties;
  if (app) {
    for (const key of Object.keys(app)) {
      const v = app[key];
      if (v !== undefined && v !== null) md[`metadata.${key}`] = v instanceof Date ? v.toUTCString() : String(v);
    }
  }
  if (msg.messageId !== undefined) md['metadata.MessageId'] = String(msg.messageId);
  if (msg.sessionId) md['metadata.SessionId'] = msg.sessionId;
  if (msg.correlationId !== undefined) md['metadata.CorrelationId'] = String(msg.correlationId);
  if (msg.subject) md['metadata.Label'] = msg.subject;
  if (msg.replyTo) md['metadata.ReplyTo'] = msg.replyTo;
  if (msg.to) md['metadata.To'] = msg.to;
  if (msg.contentType) md['metadata.ContentType'] = msg.contentType;
  if (msg.lockToken) md['metadata.LockToken'] = Buffer.from(msg.lockToken.replace(/-/g, ''), 'hex').toString('base64');
  // The wire count is prior attempts; Dapr (Go SDK) reports attempts including this one.
  md['metadata.DeliveryCount'] = String((msg.deliveryCount ?? 0) + 1);
  if (msg.enqueuedTimeUtc) md['metadata.EnqueuedTimeUtc'] = msg.enqueuedTimeUtc.toUTCString();
  if (msg.scheduledEnqueueTimeUtc) md['metadata.ScheduledEnqueueTimeUtc'] = msg.scheduledEnqueueTimeUtc.toUTCString();
  if (msg.lockedUntilUtc) md['metadata.LockedUntilUtc'] = msg.lockedUntilUtc.toUTCString();
  if (msg.sequenceNumber !== undefined) md['metadata.SequenceNumber'] = msg.sequenceNumber.toString();
  if (msg.partitionKey) md['metadata.PartitionKey'] = msg.partitionKey;
  return {
    topic,
    data: bodyBytes(msg.body),
    metadata: md,
    id: msg.messageId !== undefined ? String(msg.messageId) : md['metadata.SequenceNumber'],
  };
}

/** Bytes of the body: data sections arrive as a Buffer (JSON parsing is off); other producers may send values. */
function bodyBytes(body: unknown): Uint8Array {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return body;
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}
