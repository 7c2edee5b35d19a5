import type { StateRequestOptions, StateSetRequest } from '../spi/state.spi';

/**
 * `value` is an own, enumerable getter (so `{ ...req }` in a driver still
 * copies it) that turns the JSON text into bytes on first use only. One shared
 * descriptor: no closure per request.
 */
const LAZY_VALUE: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyStateSetRequest): Uint8Array {
    const bytes = this.bytes ?? Buffer.from(this.text ?? '', 'utf8');
    Object.defineProperty(this, 'value', { value: bytes, enumerable: true, configurable: true, writable: true });
    return bytes;
  },
};

/**
 * A set request whose `value` bytes are produced from the JSON `text` only if
 * a driver reads them: drivers that send strings (Redis, SQLite) skip the
 * copy, which is a measurable share of a 1 KB save.
 */
export class LazyStateSetRequest implements StateSetRequest {
  declare readonly value: Uint8Array;
  etag?: string;
  options?: StateRequestOptions;
  contentType?: string;
  ttlInSeconds?: number;

  constructor(
    readonly key: string,
    readonly isBinary: boolean,
    readonly text: string | undefined,
    readonly bytes: Uint8Array | undefined,
    readonly metadata: Record<string, string>,
  ) {
    Object.defineProperty(this, 'value', LAZY_VALUE);
  }
}
