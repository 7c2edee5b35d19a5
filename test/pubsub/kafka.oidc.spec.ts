import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ComponentInitError, OidcTokenError } from 'nest-dapr';
import { issueTrustAnchor, issueWorkloadCertificate } from '../../scripts/certs/x509-issuer';
import { KafkaPubSub } from '../../libs/dapr/src/components/kafka/kafka.pubsub';
import type { PubSubMessage, SubscriptionHandle } from '../../libs/dapr/src/spi/pubsub.spi';
import { startApp } from './pubsub-test-kit';
import { componentMetadata, sleep, uniqueName, waitFor } from './support/broker-test-utils';
import { sharedKafkaInstallation } from './support/kafka-installation';
import { startPrivateKafka, type PrivateKafka } from './support/private-kafka';

const CLIENT_ID = 'orders-app';
const CLIENT_SECRET = 's3cret/with+chars';

/** One token request as the endpoint saw it. */
interface TokenRequest {
  at: number;
  style: 'header' | 'params';
  clientId: string;
  scope: string;
  /** exp of the token issued (ms), when one was. */
  expiresAt?: number;
}

/**
 * An OAuth 2.0 token endpoint (client-credentials grant) issuing unsigned JWTs,
 * which Kafka's default OAUTHBEARER validator accepts: `sub` is the client id,
 * `scope` what was asked for, `exp` `lifetimeS` from now. `accept` says which
 * client-authentication styles it takes (RFC 6749 §2.3.1).
 */
class TokenEndpoint {
  readonly requests: TokenRequest[] = [];
  lifetimeS = 60;
  private server!: Server;

  constructor(
    private readonly accept: ('header' | 'params')[],
    private readonly tls?: { cert: string; key: string },
  ) {}

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}/oauth2/token`;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => this.answer(req, new URLSearchParams(body), res));
    };
    this.server = this.tls ? createHttpsServer(this.tls, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, form: URLSearchParams, res: ServerResponse): void {
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let style: 'header' | 'params';
    let id: string;
    let secret: string;
    if (basic) {
      const [u, p] = Buffer.from(basic, 'base64').toString().split(':');
      [style, id, secret] = ['header', decodeForm(u), decodeForm(p)];
    } else {
      [style, id, secret] = ['params', form.get('client_id') ?? '', form.get('client_secret') ?? ''];
    }
    const seen: TokenRequest = { at: Date.now(), style, clientId: id, scope: form.get('scope') ?? '' };
    this.requests.push(seen);
    if (req.method !== 'POST' || form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (!this.accept.includes(style) || id !== CLIENT_ID || secret !== CLIENT_SECRET) {
      return json(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.lifetimeS;
    seen.expiresAt = exp * 1000;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'none' })}.${b64({ sub: id, iat: now, exp, scope: seen.scope })}.`;
    json(200, { access_token: jwt, token_type: 'Bearer', expires_in: this.lifetimeS, scope: seen.scope });
  }
}

function decodeForm(v: string): string {
  return decodeURIComponent(v.replace(/\+/g, ' '));
}

/**
 * `authType: oidc` for real: a private broker (the shared one cannot get a
 * second listener without a restart) whose client listener is SASL_PLAINTEXT
 * with OAUTHBEARER, Kafka's own unsecured JWT validator requiring the scope
 * `kafka`, and `connections.max.reauth.ms` so that sessions end when tokens
 * expire (kafkajs then re-authenticates on the same connection); and a local
 * token endpoint. One suite, so the broker starts once.
 */
describe('pubsub.kafka authType oidc (private broker with SASL/OAUTHBEARER)', () => {
  let broker: PrivateKafka;
  const endpoint = new TokenEndpoint(['header']);
  const drivers: KafkaPubSub[] = [];
  const handles: SubscriptionHandle[] = [];

  function oidcMetadata(props: Record<string, string> = {}): Record<string, string> {
    return {
      brokers: broker.brokers,
      authType: 'oidc',
      disableTls: 'true',
      oidcTokenEndpoint: endpoint.url,
      oidcClientID: CLIENT_ID,
      oidcClientSecret: CLIENT_SECRET,
      oidcScopes: 'kafka',
      oidcExtensions: '{"logicalCluster":"lkc-test"}',
      autoCreateTopics: 'true',
      initialOffset: 'oldest',
      ...props,
    };
  }

  async function driver(props: Record<string, string> = {}): Promise<KafkaPubSub> {
    const d = new KafkaPubSub();
    drivers.push(d);
    await d.init(componentMetadata('kafka-oidc', 'pubsub.kafka', oidcMetadata(props), 'oidc-app'));
    return d;
  }

  beforeAll(async () => {
    await endpoint.start();
    broker = await startPrivateKafka(await sharedKafkaInstallation(), {
      protocol: 'SASL_PLAINTEXT',
      properties: {
        'listener.name.client.sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.client.oauthbearer.sasl.jaas.config':
          'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ' +
          'unsecuredLoginStringClaim_sub="broker" unsecuredValidatorRequiredScope="kafka";',
        'connections.max.reauth.ms': '600000',
      },
    });
  }, 120_000);

  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
    endpoint.requests.length = 0;
    endpoint.lifetimeS = 60;
  });

  afterAll(async () => {
    await broker?.stop();
    await endpoint.stop();
  });

  it('publishes and consumes with a client-credentials token sent over SASL/OAUTHBEARER', async () => {
    const topic = uniqueName('oidc');
    const d = await driver();
    const got: PubSubMessage[] = [];
    handles.push(await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => (got.push(m), 'SUCCESS')));
    await d.publish({ topic, data: Buffer.from('{"order":1}'), metadata: { partitionKey: 'o-1' } });
    await waitFor(() => got.length === 1, 'the record through the OAUTHBEARER listener');
    expect(Buffer.from(got[0].data).toString()).toBe('{"order":1}');
    // Client credentials in the Basic header, the configured scope; one token serves every connection while valid.
    expect(endpoint.requests.length).toBe(1);
    expect(endpoint.requests[0]).toMatchObject({ style: 'header', clientId: CLIENT_ID, scope: 'kafka' });
  });

  it("the broker really checks the token: one without the required scope stops start-up with the broker's reason", async () => {
    const started = Date.now();
    const err = await driver({ oidcScopes: 'openid,profile' }).catch((e: unknown) => e);
    expect(endpoint.requests[0]).toMatchObject({ scope: 'openid profile' });
    expect((err as Error).name).toBe('KafkaJSSASLAuthenticationError');
    expect((err as Error).message).toMatch(/SASL OAUTHBEARER: the broker 127\.0\.0\.1:\d+ refused the OIDC token: \{"status":"insufficient_scope"/);
    // Not retried: a refused token is refused again.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('requests a new token before the current one expires, and keeps publishing across expiries', async () => {
    // Replaced 20 s before expiry: every ~2 s here, and kafkajs re-authenticates each session (22 s) after 12 s.
    endpoint.lifetimeS = 22;
    const logBefore = broker.log().length;
    const topic = uniqueName('oidc-refresh');
    const d = await driver();
    const got: string[] = [];
    handles.push(await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => (got.push(Buffer.from(m.data).toString()), 'SUCCESS')));
    const firstExpiry = endpoint.requests[0].expiresAt!;
    let sent = 0;
    // Publish past the first token's expiry.
    while (Date.now() < firstExpiry + 3_000) {
      await d.publish({ topic, data: Buffer.from(String(sent)), metadata: {} });
      sent++;
      if (Date.now() > firstExpiry + 40_000) break;
      await sleep(500);
    }
    await waitFor(() => got.length === sent, `${sent} records`);
    expect(got).toEqual(Array.from({ length: sent }, (_, i) => String(i)));
    const issued = endpoint.requests.filter((r) => r.expiresAt);
    expect(issued.length).toBeGreaterThanOrEqual(2);
    // Every token was replaced while it was still valid.
    for (let i = 1; i < issued.length; i++) expect(issued[i].at).toBeLessThan(issued[i - 1].expiresAt!);
    // The broker accepted every (re-)authentication, with more than the first token.
    const log = broker.log().slice(logBefore);
    expect(log).not.toMatch(/Failed authentication/);
    const validated = new Set([...log.matchAll(/Successfully validated token with principal orders-app: \{[^}]*exp=(\d+)/g)].map((m) => m[1]));
    expect(validated.size).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('a wrong client secret stops start-up with a typed error that names the endpoint and not the secret', async () => {
    const err = await startApp({
      appId: 'oidc-bad-secret',
      components: [{ name: 'kafka-oidc', type: 'pubsub.kafka', metadata: oidcMetadata({ oidcClientSecret: 'wrong-secret' }) }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentInitError);
    const cause = (err as Error).cause;
    expect(cause).toBeInstanceOf(OidcTokenError);
    expect(cause).toMatchObject({ status: 401, oauthError: 'invalid_client', tokenEndpoint: endpoint.url, errorCode: 'ERR_OIDC_TOKEN' });
    // (The endpoint is masked in the message: the runtime redacts values of keys that look secret, like oidcTokenEndpoint.)
    expect((err as Error).message).toMatch(/OIDC token request to .* failed: HTTP 401 invalid_client/);
    expect((err as Error).message).not.toContain('wrong-secret');
    // Header first, then the form body (oauth2's auth-style probe); nothing reached the broker.
    expect(endpoint.requests.map((r) => r.style)).toEqual(['header', 'params']);
  });

  it('trusts caCert for an HTTPS token endpoint, and falls back to credentials in the body when the header is refused', async () => {
    const ca = issueTrustAnchor({ commonName: 'oidc test CA' });
    const tls = issueWorkloadCertificate(ca, { appId: 'idp', spiffeId: null, dns: ['localhost'], ips: ['127.0.0.1'] });
    const https = new TokenEndpoint(['params'], tls);
    await https.start();
    try {
      const untrusted = await driver({ oidcTokenEndpoint: https.url }).catch((e: unknown) => e);
      expect(untrusted).toBeInstanceOf(OidcTokenError);
      expect((untrusted as Error).message).toMatch(/certificate/i);
      expect(https.requests).toEqual([]);

      const topic = uniqueName('oidc-tls');
      const d = await driver({ oidcTokenEndpoint: https.url, caCert: ca.cert });
      await d.publish({ topic, data: Buffer.from('{}'), metadata: {} });
      expect(https.requests.map((r) => [r.style, r.expiresAt !== undefined])).toEqual([
        ['header', false],
        ['params', true],
      ]);
    } finally {
      await https.stop();
    }
  });
});
