import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { OidcTokenError } from '../../errors/oidc.errors';

/** Dapr's `authType: oidc` settings (`oidcTokenEndpoint`, `oidcClientID`, …). */
export interface OidcClientCredentials {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** Sent space-separated as `scope`; Dapr falls back to `openid` when none are configured. */
  scopes: string[];
  /** SASL/OAUTHBEARER extensions sent with every token (`oidcExtensions`). */
  extensions?: Record<string, string>;
  /** `caCert`: trusted for the token endpoint besides the system roots, as Dapr adds it to its pool. */
  ca?: string;
  /** `skipVerify`: Dapr's token client skips certificate checks too. */
  skipVerify: boolean;
}

/** What kafkajs' `oauthBearerProvider` returns. */
export interface OauthBearerToken {
  value: string;
  extensions?: Record<string, string>;
}

/**
 * A token this close to expiry is replaced: golang.org/x/oauth2's expiryDelta
 * (10 s), plus kafkajs' re-authentication threshold (10 s, see
 * kafkaClientConfig). kafkajs re-authenticates a connection 10 s before its
 * broker session ends, and the broker bounds the session by the token's
 * lifetime: a token with only ~10 s left would give a session that is due for
 * re-authentication at once, and kafkajs would re-authenticate on every
 * request (which the broker refuses when requests interleave).
 */
export const TOKEN_REFRESH_MARGIN_MS = 20_000;
/** Dapr's token request timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

type AuthStyle = 'header' | 'params';

/**
 * OAuth 2.0 client-credentials tokens for SASL/OAUTHBEARER, as Dapr's
 * `OAuthTokenSource` (components-contrib `common/component/kafka/sasl_oauthbearer.go`)
 * gets them with golang.org/x/oauth2:
 * - the cached token is reused until 20 s before it expires (no `expires_in`:
 *   it never expires), then a new one is requested — kafkajs asks for a token
 *   on every connection and on re-authentication, which it starts 10 s before
 *   the broker's session (bounded by the token's lifetime) ends, so brokers
 *   that enforce `connections.max.reauth.ms` always get a live token
 *   (TOKEN_REFRESH_MARGIN_MS says why 20 s rather than oauth2's 10 s);
 * - client credentials go in an HTTP Basic header first and, if the endpoint
 *   refuses that, in the form body (oauth2's auto-detected auth style, then
 *   remembered);
 * - concurrent connections share one request.
 */
export class OidcTokenSource {
  private cached?: { token: OauthBearerToken; expiresAt?: number };
  private pending?: Promise<OauthBearerToken>;
  private authStyle?: AuthStyle;
  private readonly agent: Agent;

  constructor(
    private readonly component: string,
    private readonly config: OidcClientCredentials,
  ) {
    this.agent = new Agent({
      connect: {
        ca: config.ca ? [...rootCertificates, config.ca] : undefined,
        rejectUnauthorized: !config.skipVerify,
        minVersion: 'TLSv1.2',
      },
    });
  }

  /** A token valid for at least 20 more seconds (fetched if needed). */
  token(): Promise<OauthBearerToken> {
    const c = this.cached;
    if (c && (c.expiresAt === undefined || c.expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now())) return Promise.resolve(c.token);
    if (!this.pending) {
      this.pending = this.fetch().finally(() => (this.pending = undefined));
    }
    return this.pending;
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  private async fetch(): Promise<OauthBearerToken> {
    const styles: AuthStyle[] = this.authStyle ? [this.authStyle] : ['header', 'params'];
    let failure: OidcTokenError | undefined;
    for (const style of styles) {
      const requestedAt = Date.now();
      try {
        const { accessToken, expiresInS } = await this.request(style);
        this.authStyle = style;
        const token: OauthBearerToken = { value: accessToken, extensions: this.config.extensions };
        this.cached = { token, expiresAt: expiresInS ? requestedAt + expiresInS * 1000 : undefined };
        return token;
      } catch (err) {
        failure = err as OidcTokenError;
      }
    }
    throw failure!;
  }

  private async request(style: AuthStyle): Promise<{ accessToken: string; expiresInS?: number }> {
    const { tokenEndpoint, clientId, clientSecret, scopes } = this.config;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scopes.length) form.set('scope', scopes.join(' '));
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (style === 'header') {
      // RFC 6749 §2.3.1: both halves form-urlencoded before base64, as oauth2 does.
      headers.authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    let status: number;
    let text: string;
    let contentType: string;
    try {
      const res = await request(tokenEndpoint, {
        method: 'POST',
        headers,
        body: form.toString(),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = res.statusCode;
      contentType = String(res.headers['content-type'] ?? '');
      text = await res.body.text();
    } catch (err) {
      throw this.error(`${(err as Error).message}${causeOf(err)}`, undefined, undefined, err);
    }
    const body = parseBody(text, contentType);
    if (status < 200 || status > 299) {
      const code = typeof body?.error === 'string' ? body.error : undefined;
      const description = typeof body?.error_description === 'string' ? ` (${body.error_description})` : '';
      throw this.error(`HTTP ${status}${code ? ` ${code}` : ''}${description}`, status, code);
    }
    const accessToken = body?.access_token;
    if (typeof accessToken !== 'string' || !accessToken) throw this.error('the response has no access_token', status);
    const expiresIn = Number(body?.expires_in);
    return { accessToken, expiresInS: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined };
  }

  private error(reason: string, status?: number, code?: string, cause?: unknown): OidcTokenError {
    return new OidcTokenError(this.component, this.config.tokenEndpoint, reason, status, code, cause ? { cause } : undefined);
  }
}

/** JSON (RFC 6749) or, as oauth2 also accepts, a form-encoded body. */
function parseBody(text: string, contentType: string): Record<string, unknown> | undefined {
  if (/application\/x-www-form-urlencoded|text\/plain/i.test(contentType)) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** application/x-www-form-urlencoded encoding of one value (Go's url.QueryEscape). */
function formEncode(v: string): string {
  return new URLSearchParams({ v }).toString().slice(2);
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.message ? ` (${cause.code ? `${cause.code}: ` : ''}${cause.message})` : '';
}
