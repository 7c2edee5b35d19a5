/**
 * Message metadata that a broker stored as JSON (Redis stream `metadata`
 * field, SQLite `metadata` column), read defensively: whoever can write to
 * the stream or file can put anything there. Only string values of a JSON
 * object are kept; anything else yields `{}` and the reason, so the message
 * is still delivered (or dead-lettered) instead of breaking the consumer.
 */
export function metadataFromJson(text: string): { metadata: Record<string, string>; error?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { metadata: {}, error: `metadata is not JSON (${(err as Error).message.slice(0, 100)})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { metadata: {}, error: `metadata is ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}, not a JSON object` };
  }
  const out: Record<string, string> = {};
  let dropped = 0;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string' && k !== '__proto__') out[k] = v;
    else dropped++;
  }
  return dropped ? { metadata: out, error: `${dropped} metadata value(s) that are not strings were ignored` } : { metadata: out };
}
