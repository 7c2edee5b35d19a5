import type { StateRequestOptions, StateSetRequest } from '../spi/state.spi';

/**
 * A set request whose `value` bytes are produced from the JSON `text` only if
 * a driver reads them: drivers that send strings (Redis, SQLite) skip the
 * copy, which is a measurable share of a 1 KB save.
 */
export class LazyStateSetRequest implements StateSetRequest {
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
  ) {}

  /**
   * The bytes, made from the JSON text on first read and kept. A getter on the
   * prototype: defining one on each request cost more than a 1 KB save's
   * encoding (see the SPI note on `StateSetRequest.value`).
   */
  get value(): Uint8Array {
    const bytes = this.bytes ?? Buffer.from(this.text ?? '', 'utf8');
    Object.defineProperty(this, 'value', { value: bytes, enumerable: true, configurable: true, writable: true });
    return bytes;
  }
}
