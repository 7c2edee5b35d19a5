import { ComponentConfigError } from '../../errors/component-config.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import { pemField, pubsubConnectionUri } from './rabbitmq-connection';

const md: ComponentMetadata = { name: 'rabbit', type: 'pubsub.rabbitmq', version: 'v1', properties: {}, appId: 'app' };

describe("pubsub.rabbitmq connection URI (Dapr's createMetadata / connectionURI)", () => {
  it('uses connectionString, else the deprecated host, else protocol://username:password@hostname', () => {
    expect(pubsubConnectionUri(md, { connectionString: 'amqp://u:p@h:5673/vh', hostname: 'localhost' })).toBe('amqp://u:p@h:5673/vh');
    expect(pubsubConnectionUri(md, { host: 'amqps://h', hostname: 'localhost' })).toBe('amqps://h');
    expect(pubsubConnectionUri(md, { hostname: 'localhost' })).toBe('amqp://localhost');
    expect(pubsubConnectionUri(md, { hostname: 'broker:5671', protocol: 'amqps', username: 'a b', password: 'p@ss' })).toBe('amqps://a%20b:p%40ss@broker:5671');
    expect(pubsubConnectionUri(md, { hostname: 'broker', username: 'only' })).toBe('amqp://only@broker');
  });

  it('rejects a protocol that contradicts the connection string, and URIs that are not AMQP, without showing them', () => {
    expect(() => pubsubConnectionUri(md, { connectionString: 'amqp://u:secret@h', protocol: 'amqps', hostname: 'x' })).toThrow(/protocol/);
    const err = (() => {
      try {
        pubsubConnectionUri(md, { connectionString: 'http://u:secret@h', hostname: 'x' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ComponentConfigError);
    expect(err!.message).toMatch(/connectionString/);
    expect(err!.message).not.toMatch(/secret/);
    expect(() => pubsubConnectionUri(md, { connectionString: 'not a uri :: secret', hostname: 'x' })).toThrow(/not shown/);
  });

  it('accepts PEM text only for the TLS fields', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(pemField(md, 'caCert', pem)).toBe(pem);
    expect(pemField(md, 'caCert', '')).toBeUndefined();
    expect(() => pemField(md, 'clientKey', 'just text')).toThrow(/clientKey.*PEM/);
  });
});
