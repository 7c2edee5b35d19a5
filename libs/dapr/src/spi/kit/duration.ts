import { parseGoDuration } from './metadata/go-values';

/**
 * Parses a Go duration (`5s`, `1m30s`, `250ms`, `-1h`) into milliseconds with
 * Go's own rules (`time.ParseDuration`), as Dapr reads `initTimeout`, resiliency
 * timeouts and intervals. Returns `undefined` for text that is not a duration so
 * callers can raise their own typed error. Metadata fields go through the
 * declared-metadata decoder instead, which also knows what a bare number means.
 */
export function parseDuration(text: string): number | undefined {
  return parseGoDuration(text.trim());
}
