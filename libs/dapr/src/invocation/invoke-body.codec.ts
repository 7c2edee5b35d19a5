import type { IncomingHttpHeaders } from 'node:http';
import type Dispatcher from 'undici/types/dispatcher';

/** A request body ready to send (and to resend on retry) plus its default content type. */
export interface EncodedBody {
  payload?: string | Uint8Array;
  contentType?: string;
}

const NONE: EncodedBody = {};

/** Objects, arrays, numbers and booleans go as JSON; strings as text; bytes as they are. */
export function encodeBody(body: unknown): EncodedBody {
  if (body === undefined) return NONE;
  if (typeof body === 'string') return { payload: body, contentType: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array) return { payload: body, contentType: 'application/octet-stream' };
  return { payload: JSON.stringify(body), contentType: 'application/json' };
}

/** Why a body could not be decoded (a JSON content type over text that is not JSON). */
export class BodyDecodeError extends Error {
  constructor(readonly raw: string, cause: unknown) {
    super(`response declared JSON but is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

export function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  // The common case without allocating: exactly what JSON servers send.
  if (contentType.startsWith('application/json') && (contentType.length === 16 || contentType.charCodeAt(16) === 59) /* ; */) return true;
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

function isText(contentType: string): boolean {
  const ct = contentType.toLowerCase();
  return ct.startsWith('text/') || ct.includes('xml') || ct.startsWith('application/x-www-form-urlencoded');
}

/**
 * Reads a response by its content type: JSON → parsed value, text → string,
 * anything else → Buffer; an empty body → undefined. Invalid JSON under a JSON
 * content type throws BodyDecodeError carrying the raw text.
 */
export async function decodeBody(res: Dispatcher.ResponseData): Promise<unknown> {
  const contentType = headerValue(res.headers, 'content-type');
  const json = isJson(contentType);
  if (!json && (contentType === undefined || !isText(contentType))) {
    const bytes = await res.body.bytes();
    return bytes.byteLength === 0 ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const text = await res.body.text();
  return json ? parseJsonBody(text) : text;
}

/** The text of a JSON response as a value: empty → undefined, invalid → BodyDecodeError with the raw text. */
export function parseJsonBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BodyDecodeError(text, err);
  }
}

/** Same as decodeBody, but never throws on bad JSON: error bodies are best effort. */
export async function decodeErrorBody(res: Dispatcher.ResponseData): Promise<unknown> {
  try {
    return await decodeBody(res);
  } catch (err) {
    if (err instanceof BodyDecodeError) return err.raw;
    throw err;
  }
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
