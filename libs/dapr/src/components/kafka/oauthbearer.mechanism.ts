import type { Mechanism } from 'kafkajs';
import type { OauthBearerToken } from './oidc.token-source';

type KafkaJs = typeof import('kafkajs');

/** US-ASCII SOH, the separator of RFC 7628's key/value pairs. */
const KVSEP = '\u0001';

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255) for kafkajs, with a token from `token()`.
 *
 * kafkajs has the mechanism built in, but it takes any answer of the broker
 * as success: when the broker refuses a token it answers with an error
 * challenge (`{"status":"invalid_token"}`) and waits for the client to end
 * the exchange, so kafkajs' next request fails with "Request is not valid
 * given the current SASL state" after retries, and the reason is lost. This
 * one answers the challenge as the RFC says (a lone %x01) and fails the
 * authentication — not retried — with the broker's reason.
 */
export function oauthBearerMechanism(kafkajs: KafkaJs, token: () => Promise<OauthBearerToken>): Mechanism {
  return {
    mechanism: 'OAUTHBEARER',
    authenticationProvider: ({ host, port, saslAuthenticate }) => ({
      authenticate: async () => {
        const t = await token();
        const challenge = await saslAuthenticate<Buffer>({
          request: { encode: () => framed(initialResponse(t)) },
          response: { decode: unframed, parse: (b) => b },
        });
        if (challenge && challenge.length > 0) {
          await saslAuthenticate({ request: { encode: () => framed(Buffer.from(KVSEP)) } }).catch(() => undefined);
          // kafkajs' class (not retried, as for a wrong SASL password); its typings omit the message parameter.
          const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
          throw new SaslError(
            `SASL OAUTHBEARER: the broker ${host}:${port} refused the OIDC token: ${challenge.toString('utf8')}`,
          );
        }
      },
    }),
  };
}

/** The client's first message: GS2 header, the bearer token, then the SASL extensions. */
function initialResponse(t: OauthBearerToken): Buffer {
  const extensions = Object.entries(t.extensions ?? {}).map(([k, v]) => `${k}=${v}${KVSEP}`);
  return Buffer.from(`n,,${KVSEP}auth=Bearer ${t.value}${KVSEP}${extensions.join('')}${KVSEP}`);
}

/** kafkajs' SASL payloads carry a 32-bit length prefix (the framing of SASL before SaslAuthenticate existed). */
function framed(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

function unframed(raw: Buffer): Buffer {
  if (!raw || raw.length < 4) return Buffer.alloc(0);
  const length = raw.readInt32BE(0);
  return length > 0 ? raw.subarray(4, 4 + length) : Buffer.alloc(0);
}
