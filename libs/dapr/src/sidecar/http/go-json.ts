/**
 * Field access with Go's `encoding/json` rules: daprd decodes request bodies
 * into structs, which matches field names case-insensitively (the JS SDK
 * sends `entryID` where the docs say `entryId`). Exact names are tried first.
 */
export function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k in o) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

export function stringField(obj: unknown, name: string): string | undefined {
  const v = field(obj, name);
  return typeof v === 'string' ? v : undefined;
}

/** A `map[string]string` field: values that are not strings are stringified, as Go's weak decoding does. */
export function stringMap(obj: unknown, name: string): Record<string, string> | undefined {
  const v = field(obj, name);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === undefined || val === null) continue;
    out[k] = typeof val === 'string' ? val : typeof val === 'object' ? JSON.stringify(val) : String(val);
  }
  return out;
}
