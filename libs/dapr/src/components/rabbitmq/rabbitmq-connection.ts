import type { Logger } from '@nestjs/common';
import type { Channel, ConfirmChannel, RecoveringChannelModel, RecoveryOptions, SocketOptions } from 'amqplib';
import type { ComponentMetadata } from '../../spi/component.spi';
import { loadPackage } from '../../spi/kit/load-package';
import { metadataError } from '../../spi/kit/metadata';

export type AmqpLib = typeof import('amqplib');

/** How to reach the broker: what both RabbitMQ components share. */
export interface RabbitConnectionSettings {
  /** The AMQP URI with credentials; never logged. */
  uri: string;
  /** Heartbeat in whole seconds (0 disables it), sent as the URI's `heartbeat` parameter. */
  heartbeatSec?: number;
  /** `connection_name` client property. */
  clientName?: string;
  tls: { ca?: string; cert?: string; key?: string };
  saslExternal: boolean;
  /** Wait between reconnect attempts once the first connection succeeded. */
  reconnectWaitMs: number;
}

/**
 * The connection URI of `pubsub.rabbitmq`, as Dapr's `createMetadata` and
 * `connectionURI` build it: connectionString (or the deprecated `host`)
 * wins; otherwise `<protocol>://<username>:<password>@<hostname>`; a
 * protocol that contradicts the connection string's scheme is an error.
 * Errors name the field but never show a value that may hold a password.
 */
export function pubsubConnectionUri(
  md: ComponentMetadata,
  m: { connectionString?: string; host?: string; protocol?: string; hostname: string; username?: string; password?: string },
): string {
  const fromString = m.connectionString || m.host;
  const field = m.connectionString ? 'connectionString' : 'host';
  if (fromString) {
    const scheme = amqpScheme(md, field, fromString);
    if (m.protocol && m.protocol !== scheme) {
      throw metadataError(md, 'protocol', `is "${m.protocol}" but the connection string uses ${scheme}`);
    }
    return fromString;
  }
  const protocol = m.protocol || 'amqp';
  const user = m.username ? encodeURIComponent(m.username) + (m.password ? `:${encodeURIComponent(m.password)}` : '') + '@' : '';
  const uri = `${protocol}://${user}${m.hostname}`;
  amqpScheme(md, 'hostname', uri);
  return uri;
}

/** The scheme of an AMQP URI (`amqp` or `amqps`); anything else is a config error on `field`. */
export function amqpScheme(md: ComponentMetadata, field: string, uri: string): 'amqp' | 'amqps' {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw metadataError(md, field, 'is not a valid AMQP URI (amqp://user:pass@host:port/vhost); the value is not shown because it may hold a password');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'amqp' && scheme !== 'amqps') throw metadataError(md, field, `must start with amqp:// or amqps://, not ${scheme}://`);
  if (!url.hostname) throw metadataError(md, field, 'names no host');
  return scheme;
}

/** PEM fields as Dapr's `isValidPEM` checks them: the text must hold a PEM block. */
export function pemField(md: ComponentMetadata, field: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/.test(value)) throw metadataError(md, field, 'is not PEM text');
  return value;
}

/**
 * One AMQP connection with amqplib's own recovery: the first attempt must
 * succeed (init fails with the broker's reason); after that a broken
 * connection is reopened every `reconnectWaitMs` until `close()`. Channels do
 * not survive a reconnect: their owners see them close and open new ones.
 */
export class RabbitConnection {
  private up = true;

  private constructor(
    readonly amqp: AmqpLib,
    private readonly model: RecoveringChannelModel,
  ) {}

  static async open(componentType: string, s: RabbitConnectionSettings, logger: Logger): Promise<RabbitConnection> {
    const amqp = await loadPackage<AmqpLib>(componentType, 'amqplib');
    const url = new URL(s.uri);
    if (s.heartbeatSec !== undefined) url.searchParams.set('heartbeat', String(s.heartbeatSec));
    const options: SocketOptions & { recovery: RecoveryOptions } = {
      noDelay: true,
      clientProperties: s.clientName ? { connection_name: s.clientName } : {},
      recovery: { calculateDelay: () => s.reconnectWaitMs, initialMaxRetries: 0 },
    };
    if (url.protocol === 'amqps:') {
      if (s.tls.ca) options.ca = [s.tls.ca];
      if (s.tls.cert) options.cert = s.tls.cert;
      if (s.tls.key) options.key = s.tls.key;
      if (s.saslExternal) options.credentials = amqp.credentials.external();
    }
    const model = await amqp.connect(url.toString(), options);
    const conn = new RabbitConnection(amqp, model);
    model.on('error', (err: Error) => logger.warn(`connection error: ${err.message}`));
    model.on('disconnect', (err: Error) => {
      conn.up = false;
      logger.warn(`connection lost (${err.message}); reconnecting every ${s.reconnectWaitMs} ms`);
    });
    model.on('connect', () => {
      if (conn.up) return;
      conn.up = true;
      logger.log('reconnected');
    });
    model.on('blocked', (reason: string) => logger.warn(`the broker blocked the connection: ${reason}`));
    return conn;
  }

  /** False from a lost connection until it is reopened. */
  get isUp(): boolean {
    return this.up;
  }

  /** A new channel; while the connection is down, waits until it is back. */
  channel(): Promise<Channel> {
    return this.model.createChannel();
  }

  confirmChannel(): Promise<ConfirmChannel> {
    return this.model.createConfirmChannel();
  }

  async close(): Promise<void> {
    this.up = false;
    await this.model.close();
  }
}
