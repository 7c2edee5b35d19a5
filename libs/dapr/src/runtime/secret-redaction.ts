/**
 * Keeps secrets and connection strings out of logs, error messages and health
 * output. Two layers: exact values each app's runtime registers (metadata
 * whose key names a secret, values that came through a secretKeyRef), and
 * patterns that catch credentials embedded in text (URL userinfo,
 * `password=...` in libpq/ADO strings, `AUTH` arguments).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /(pass(word)?|secret|token|credential|connectionstring|accesskey|apikey|privatekey|clientkey|^sastoken$|^key$|^url$)/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;
const KV_SECRET = /\b(password|pwd|secret|token|accountkey|sharedaccesskey|apikey)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&]+)/gi;

/** Keys that name where a secret lives (`secretsFile`, `privateKeyPath`), not the secret: errors may show them. */
const LOCATION_KEY = /(file|path)$/i;

/** True for metadata keys whose values must never be shown (`redisPassword`, `connectionString`, `securityToken`...). */
export function isSecretMetadataKey(key: string): boolean {
  return SECRET_KEY.test(key) && !LOCATION_KEY.test(key);
}

/**
 * The secret values one app knows. Each `ComponentRuntime` owns one, so an
 * app masks its own secrets and forgets them when it closes; another app in
 * the same process neither sees nor keeps them.
 */
export class SecretRedactor {
  private readonly values = new Set<string>();

  /** Registers exact values to mask wherever they appear (values shorter than 4 chars are ignored: too noisy). */
  register(values: Iterable<string | undefined>): void {
    for (const v of values) {
      if (typeof v === 'string' && v.length >= 4) this.values.add(v);
    }
  }

  /** Registers the values of the secret-looking keys of a component's metadata. */
  registerMetadata(properties: Record<string, string>): void {
    this.register(Object.entries(properties).filter(([k]) => isSecretMetadataKey(k)).map(([, v]) => v));
  }

  /** `text` with this app's secret values and any embedded credentials masked. */
  redact(text: string): string {
    return redactPatterns(this.maskValues(text));
  }

  /** Only the exact values (the patterns are applied once by the caller). */
  maskValues(text: string): string {
    let out = text;
    for (const v of this.values) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
    }
    return out;
  }

  clear(): void {
    this.values.clear();
  }
}

/**
 * The redactors of the apps running in this process. Nest's logger is
 * process-wide (`Logger.overrideLogger`), so `DaprLogger` masks the values of
 * every app that is running now; an app leaves this set when it shuts down.
 */
const running = new Set<SecretRedactor>();

export function trackRunningRedactor(redactor: SecretRedactor, alive: boolean): void {
  if (alive) running.add(redactor);
  else running.delete(redactor);
}

/** Masks embedded credentials (URL userinfo, `password=...`) and the secret values of the running apps. */
export function redactSecrets(text: string): string {
  if (!text) return text;
  let out = text;
  for (const r of running) out = r.maskValues(out);
  return redactPatterns(out);
}

function redactPatterns(text: string): string {
  return text.replace(URL_USERINFO, `$1:${REDACTED}@`).replace(KV_SECRET, `$1$2${REDACTED}`);
}
