/** One URL path segment (store, key, app id...). */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** `?metadata.k=v&…` (always a `?`, as the SDK writes it), or `''` without metadata. */
export function metadataQuery(metadata?: Record<string, string>): string {
  return query(metadata);
}

/** A query string of `metadata.*` entries plus plain parameters; `''` when empty. */
export function query(metadata?: Record<string, string>, params?: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const k in params ?? {}) if (params![k] !== undefined) q.set(k, params![k]);
  for (const k in metadata ?? {}) if (metadata![k] !== undefined) q.set(`metadata.${k}`, String(metadata![k]));
  const s = q.toString();
  return s ? `?${s}` : '';
}
