import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CALLER_SIGNATURE_HEADER } from './invocation.constants';

const TAP = Symbol('dapr:body-digest');

interface Tap {
  hash: Hash;
  ended: boolean;
}

type Tapped = IncomingMessage & { [TAP]?: Tap; body?: unknown };

/** An HTTP server whose `request` listeners we can go before (node's http/https Server). */
interface RequestEmitter {
  prependListener(event: 'request', listener: (req: IncomingMessage) => void): unknown;
  removeListener(event: 'request', listener: (req: IncomingMessage) => void): unknown;
}

/**
 * A caller proof covers the SHA-256 of the body as sent, but body parsers
 * have consumed the stream by the time a guard runs. This listener goes
 * before the app's own (Express) on the HTTP server, and for requests that
 * carry a caller signature hashes every body chunk the socket delivers, so the
 * guard can compare the digest of exactly the bytes that arrived — whatever
 * parser, if any, reads them. Requests without a signature are not touched.
 */
export function installBodyDigestTap(server: unknown): (() => void) | undefined {
  const emitter = server as RequestEmitter | undefined;
  if (!emitter || typeof emitter.prependListener !== 'function') return undefined;
  const listener = (req: IncomingMessage): void => {
    if (req.headers[CALLER_SIGNATURE_HEADER] !== undefined) tap(req as Tapped);
  };
  emitter.prependListener('request', listener);
  return () => emitter.removeListener('request', listener);
}

function tap(req: Tapped): void {
  const state: Tap = { hash: createHash('sha256'), ended: false };
  const push = req.push;
  // The HTTP parser hands each body chunk to push() and ends with push(null).
  req.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) state.ended = true;
    else state.hash.update(chunk as Buffer);
    return push.call(this, chunk, encoding);
  };
  req[TAP] = state;
}

/** The body could not be hashed: no tap on this server, or it is larger than the limit. */
export class BodyDigestUnavailable extends Error {}

/**
 * The base64url SHA-256 of the request body. When no parser has read the
 * body yet (a content type the app does not parse), it is read here, up to
 * `maxBytes`, and handed to the handler as `req.body` (a Buffer) unless
 * something else set one.
 */
export async function requestBodyDigest(request: unknown, maxBytes: number): Promise<string> {
  const req = ((request as { raw?: IncomingMessage }).raw ?? request) as Tapped;
  const state = req[TAP];
  if (!state) throw new BodyDigestUnavailable('the request body was not observed (no HTTP server tap)');
  if (!state.ended && !req.readableEnded) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        throw new BodyDigestUnavailable(`the request body is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    const outer = request as { body?: unknown };
    if (outer.body === undefined) outer.body = Buffer.concat(chunks);
  }
  if (!state.ended) throw new BodyDigestUnavailable('the request body did not end');
  return state.hash.copy().digest('base64url');
}
