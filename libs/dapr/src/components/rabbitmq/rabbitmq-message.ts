import type { ConsumeMessage, Options } from 'amqplib';
import { parseDuration } from '../../spi/kit/duration';

/**
 * Message properties from request metadata, as components-contrib's
 * `common/component/rabbitmq.ApplyMetadataToPublishing`: `contentType`,
 * `messageID`, `correlationID` and `type`, matched case-insensitively, empty
 * values ignored.
 */
export function applyMessageProperties(metadata: Readonly<Record<string, string>>, props: Options.Publish): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (!value) continue;
    switch (key.toLowerCase()) {
      case 'contenttype':
        props.contentType = value;
        break;
      case 'messageid':
        props.messageId = value;
        break;
      case 'correlationid':
        props.correlationId = value;
        break;
      case 'type':
        props.type = value;
        break;
    }
  }
}

/**
 * A request's TTL as components-contrib `metadata.TryGetTTL` reads it: the
 * first non-empty of `ttl` and `ttlInSeconds` (any case); a Go duration, or
 * else a whole number of seconds that must be positive. `undefined` when
 * neither key is set; `{ error }` when the value is not a TTL.
 */
export function requestTtlMs(metadata: Readonly<Record<string, string>>): number | { error: string } | undefined {
  const text = lookup(metadata, 'ttl') ?? lookup(metadata, 'ttlInSeconds');
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms !== undefined) return Math.max(0, Math.floor(ms));
  if (!/^[+-]?\d+$/.test(text)) return { error: `ttlInSeconds value must be a valid integer: actual is '${text}'` };
  const seconds = Number(text);
  if (seconds <= 0) return { error: `ttlInSeconds value must be higher than zero: actual is '${text}'` };
  return seconds * 1000;
}

/**
 * A request's `priority` as components-contrib `metadata.TryGetPriority`: an
 * integer clamped to 0..255. `{ error }` when it is not an integer.
 */
export function requestPriority(metadata: Readonly<Record<string, string>>): number | { error: string } | undefined {
  const text = metadata.priority;
  if (!text) return undefined;
  if (!/^[+-]?\d+$/.test(text)) return { error: `priority value must be a valid integer: actual is '${text}'` };
  return Math.min(255, Math.max(0, Number(text)));
}

/**
 * Delivery metadata with `publishMessagePropertiesToMetadata`, as Dapr's
 * `addAMQPPropertiesToMetadata`: `metadata.messageid`, `metadata.correlationid`,
 * `metadata.type`, `metadata.contenttype` and every header as `metadata.<name>`.
 */
export function propertiesToMetadata(msg: ConsumeMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const p = msg.properties;
  if (p.messageId) out['metadata.messageid'] = String(p.messageId);
  if (p.correlationId) out['metadata.correlationid'] = String(p.correlationId);
  if (p.type) out['metadata.type'] = String(p.type);
  if (p.contentType) out['metadata.contenttype'] = String(p.contentType);
  for (const [name, value] of Object.entries(p.headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[`metadata.${name}`] = headerText(value);
  }
  return out;
}

/** A header value as text: strings and bytes as they are, anything else as Go's `%v` would roughly print it. */
export function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function lookup(metadata: Readonly<Record<string, string>>, key: string): string | undefined {
  if (metadata[key]) return metadata[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(metadata)) if (v && k.toLowerCase() === lower) return v;
  return undefined;
}
