import { MicroserviceConfigError } from '../errors/microservices.errors';

/** What `@EventPattern` may name: a topic on the transport's pubsub, or `{ pubsub, topic }`. */
export interface TopicPattern {
  pubsub: string;
  topic: string;
}

/**
 * The topic an event pattern means. A string is a topic on the default
 * pubsub; `{ pubsub?, topic }` names both; any other object (`{ cmd: 'x' }`)
 * is a topic named by its stable name (see `patternName`).
 */
export function topicOf(pattern: unknown, defaultPubsub: string | undefined, where: string): TopicPattern {
  if (pattern !== null && typeof pattern === 'object' && typeof (pattern as { topic?: unknown }).topic === 'string') {
    const p = pattern as { pubsub?: unknown; topic: string };
    const pubsub = typeof p.pubsub === 'string' ? p.pubsub : defaultPubsub;
    if (!pubsub) throw new MicroserviceConfigError(`${where}: pattern ${JSON.stringify(pattern)} names no pubsub and DaprTransport has no default pubsub`);
    return { pubsub, topic: p.topic };
  }
  if (!defaultPubsub) throw new MicroserviceConfigError(`${where}: DaprTransport needs { pubsub } to subscribe to ${JSON.stringify(pattern)}`);
  return { pubsub: defaultPubsub, topic: patternName(pattern) };
}

/**
 * A pattern as one stable, URL-safe name: a string is itself; an object is
 * its keys in order with their values, `cmd=quote` for `{ cmd: 'quote' }`,
 * `cmd=sum&v=2` for `{ v: 2, cmd: 'sum' }` (nested values as JSON). The
 * server and the client compute the same name from the same pattern, so it
 * is the service invocation method of a `@MessagePattern` and the topic of an
 * object `@EventPattern`.
 */
export function patternName(pattern: unknown): string {
  if (typeof pattern === 'string') {
    if (pattern.length === 0) throw new MicroserviceConfigError('a pattern must not be empty');
    return pattern;
  }
  if (typeof pattern === 'number' || typeof pattern === 'boolean') return String(pattern);
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new MicroserviceConfigError(`pattern ${String(pattern)} is neither a string nor an object`);
  }
  const keys = Object.keys(pattern).sort();
  if (keys.length === 0) throw new MicroserviceConfigError('a pattern object needs at least one key');
  return keys
    .map((k) => {
      const v = (pattern as Record<string, unknown>)[k];
      return `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`;
    })
    .join('&');
}

/** The request path of a `@MessagePattern` method: `/quote`, `/cmd=quote` (segments of a string pattern kept). */
export function methodPathOf(pattern: unknown): string {
  const name = patternName(pattern);
  return typeof pattern === 'string' ? `/${name.split('/').map(encodeURIComponent).join('/')}` : `/${name}`;
}
