/**
 * Keeps secrets and connection strings out of logs, error messages and health
 * output. Two layers: exact values registered by the runtime side (metadata
 * whose key names a secret), and patterns that catch credentials embedded in
 * text (URL userinfo, `password=...` in libpq/ADO strings, `AUTH` arguments).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /(pass(word)?|secret|token|credential|connectionstring|accesskey|apikey|privatekey|clientkey|^sastoken$|^key$|^url$)/i;
const known = new Set<string>();

/** True for metadata keys whose values must never be shown (`redisPassword`, `connectionString`, `securityToken`...). */
export function isSecretMetadataKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Registers exact values to mask wherever they appear (values shorter than 4 chars are ignored: too noisy). */
export function registerSecretValues(values: Iterable<string | undefined>): void {
  for (const v of values) {
    if (typeof v === 'string' && v.length >= 4) known.add(v);
  }
}

/** Registers the values of the secret-looking keys of a component's metadata. */
export function registerSecretMetadata(properties: Record<string, string>): void {
  registerSecretValues(Object.entries(properties).filter(([k]) => isSecretMetadataKey(k)).map(([, v]) => v));
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;
const KV_SECRET = /\b(password|pwd|secret|token|accountkey|sharedaccesskey|apikey)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&]+)/gi;

export function redactSecrets(text: string): string {
  if (!text) return text;
  let out = text;
  for (const v of known) {
    if (out.includes(v)) out = out.split(v).join(REDACTED);
  }
  return out.replace(URL_USERINFO, `$1:${REDACTED}@`).replace(KV_SECRET, `$1$2${REDACTED}`);
}
