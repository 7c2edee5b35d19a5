import { ComponentConfigError, MissingMetadataError } from '../../errors/component-config.error';
import { parseKafkaConnection } from './kafka-connection';

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';

function parse(properties: Record<string, string>) {
  return parseKafkaConnection({ name: 'kafka', type: 'pubsub.kafka', version: 'v1', appId: 'orders', properties });
}

describe('Kafka metadata (Dapr names and defaults)', () => {
  it('reads brokers and applies defaults', () => {
    const s = parse({ brokers: 'a:9092, b:9092' });
    expect(s.brokers).toEqual(['a:9092', 'b:9092']);
    expect(s.clientId).toBe('orders');
    expect(s.authType).toBe('none');
    expect(s.ssl).toBeUndefined();
    expect(s.sasl).toBeUndefined();
    expect(s.maxMessageBytes).toBe(1_000_000);
    expect(s.acks).toBe(-1);
    expect(s.sessionTimeoutMs).toBe(10_000);
    expect(s.heartbeatIntervalMs).toBe(3_000);
    expect(s.autoCreateTopics).toBe(false);
  });

  it("decodes durations with Dapr's rules: a bare sessionTimeout is seconds (DecodeMetadata), backOff* bare numbers are milliseconds (kit/retry)", () => {
    expect(parse({ brokers: 'a:1', sessionTimeout: '30', heartbeatInterval: '2s' })).toMatchObject({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 2_000 });
  });

  it('values Dapr accepts that nest-dapr does not stop start-up naming the file, line and field', () => {
    const md = (properties: Record<string, string>) => ({
      name: 'kafka',
      type: 'pubsub.kafka',
      version: 'v1',
      appId: 'orders',
      properties,
      source: { file: '/c/kafka.yaml', line: 1 },
      fieldSources: { compression: { file: '/c/kafka.yaml', line: 11 }, authType: { file: '/c/kafka.yaml', line: 9 } },
    });
    expect(() => parseKafkaConnection(md({ brokers: 'a:1', authType: 'oidc_private_key_jwt' }))).toThrow(
      /^\/c\/kafka\.yaml:9: component "kafka": metadata "authType" "oidc_private_key_jwt" is valid in Dapr but not supported by nest-dapr/,
    );
    expect(() => parseKafkaConnection(md({ brokers: 'a:1', authType: 'awsiam' }))).toThrow(/kafka\.yaml:9: .*"authType" "awsiam" is valid in Dapr but not supported/);
    expect(() => parseKafkaConnection(md({ brokers: 'a:1', compression: 'brotli' }))).toThrow(/kafka\.yaml:11: .*"compression"/);
  });

  it('requires brokers', () => {
    expect(() => parse({})).toThrow(MissingMetadataError);
  });

  it('password: SASL with Dapr mechanism names, TLS on unless disableTls', () => {
    const s = parse({ brokers: 'b:1', authType: 'password', saslUsername: 'u', saslPassword: 'p', saslMechanism: 'SHA-512' });
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(s.ssl).toEqual({ rejectUnauthorized: true });
    const plain = parse({ brokers: 'b:1', authType: 'password', saslUsername: 'u', saslPassword: 'p', disableTls: 'true' });
    expect(plain.sasl).toMatchObject({ mechanism: 'plain' });
    expect(plain.ssl).toBeUndefined();
    expect(() => parse({ brokers: 'b:1', authType: 'password', saslUsername: 'u' })).toThrow(/saslPassword/);
  });

  it('mtls: client certificate and key, never without TLS', () => {
    const s = parse({ brokers: 'b:1', authType: 'mtls', caCert: PEM_CERT, clientCert: PEM_CERT, clientKey: PEM_KEY, skipVerify: 'true' });
    expect(s.ssl).toEqual({ rejectUnauthorized: false, ca: [PEM_CERT], cert: PEM_CERT, key: PEM_KEY });
    expect(() => parse({ brokers: 'b:1', authType: 'mtls', disableTls: 'true' })).toThrow(ComponentConfigError);
    expect(() => parse({ brokers: 'b:1', authType: 'mtls', clientCert: PEM_CERT })).toThrow(/clientKey/);
    expect(() => parse({ brokers: 'b:1', authType: 'mtls', clientCert: 'not a pem', clientKey: PEM_KEY })).toThrow(/PEM/);
  });

  it('certificate: TLS with the CA only, and caCert is required', () => {
    expect(parse({ brokers: 'b:1', authType: 'certificate', caCert: PEM_CERT }).ssl).toEqual({ rejectUnauthorized: true, ca: [PEM_CERT] });
    expect(() => parse({ brokers: 'b:1', authType: 'certificate' })).toThrow(MissingMetadataError);
  });

  it('compression: every codec Dapr (sarama) names', () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(parse({ brokers: 'b:1', compression: codec }).compression).toBe(codec);
  });

  it("oidc: Dapr's required fields, scopes split on commas (default openid), extensions a JSON object, TLS on unless disableTls", () => {
    const base = { brokers: 'b:1', authType: 'oidc', oidcTokenEndpoint: 'https://idp/token', oidcClientID: 'app', oidcClientSecret: 's3' };
    const s = parse({ ...base, oidcScopes: 'kafka, profile', oidcExtensions: '{"logicalCluster":"lkc-1"}', caCert: PEM_CERT });
    expect(s.oidc).toEqual({
      tokenEndpoint: 'https://idp/token',
      clientId: 'app',
      clientSecret: 's3',
      scopes: ['kafka', 'profile'],
      defaultScopes: false,
      extensions: { logicalCluster: 'lkc-1' },
      ca: PEM_CERT,
      skipVerify: false,
    });
    expect(s.ssl).toEqual({ rejectUnauthorized: true, ca: [PEM_CERT] });
    expect(s.sasl).toBeUndefined();
    expect(parse({ ...base, disableTls: 'true' })).toMatchObject({ ssl: undefined, oidc: { scopes: ['openid'], defaultScopes: true } });
    for (const field of ['oidcTokenEndpoint', 'oidcClientID', 'oidcClientSecret']) {
      expect(() => parse({ ...base, [field]: '' })).toThrow(new RegExp(`missing required metadata "${field}"`));
    }
    expect(() => parse({ ...base, oidcTokenEndpoint: 'idp/token' })).toThrow(/oidcTokenEndpoint.*not a URL/);
    expect(() => parse({ ...base, oidcTokenEndpoint: 'ftp://idp/token' })).toThrow(/not an http\(s\) URL/);
    for (const bad of ['{}', '[1]', 'nope', '{"a":1}']) expect(() => parse({ ...base, oidcExtensions: bad })).toThrow(/oidcExtensions/);
  });

  it('maps the deprecated authRequired flag like Dapr', () => {
    expect(parse({ brokers: 'b:1', authRequired: 'true', saslUsername: 'u', saslPassword: 'p' }).authType).toBe('password');
    expect(parse({ brokers: 'b:1', authRequired: 'false' }).authType).toBe('none');
  });

  it('rejects unknown values instead of ignoring them', () => {
    expect(() => parse({ brokers: 'b:1', authType: 'kerberos' })).toThrow(/authType/);
    expect(() => parse({ brokers: 'b:1', compression: 'brotli' })).toThrow(/compression/);
    expect(() => parse({ brokers: 'b:1', maxMessageBytes: 'lots' })).toThrow(/maxMessageBytes/);
  });

  it('numPartitions turns topic creation on, as in Dapr', () => {
    const s = parse({ brokers: 'b:1', numPartitions: '6' });
    expect(s.autoCreateTopics).toBe(true);
    expect(s.numPartitions).toBe(6);
    expect(parse({ brokers: 'b:1', autoCreateTopics: 'true' }).numPartitions).toBe(1);
  });
});
