import { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { once } from 'node:events';
import { BindingRequestError } from '../../errors/bindings.errors';
import type { InputBindingDriver, InputBindingHandler, InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { RABBITMQ_BINDING_METADATA } from './rabbitmq.metadata';
import { amqpScheme, pemField, RabbitConnection, type RabbitConnectionSettings } from './rabbitmq-connection';
import { applyMessageProperties, requestPriority, requestTtlMs } from './rabbitmq-message';
import { RabbitQueueConsumer } from './rabbitmq-queue.consumer';

const OPERATIONS = ['create'] as const;

interface QueueDeclaration {
  name: string;
  options: Options.AssertQueue;
}

/**
 * `bindings.rabbitmq` (components-contrib `bindings/rabbitmq`): one queue,
 * declared at start with `durable`, `deleteWhenUnused`, `exclusive` and the
 * arguments `x-message-ttl` (from `ttl`, ms) and `x-max-priority`.
 * Output `create` publishes through the default exchange with routing key
 * `queueName`, persistent, `content_type` text/plain (or `contentType`), every
 * request metadata entry as a header, `expiration` from the request's
 * ttlInSeconds and `priority`, as Dapr does. Input consumes the queue one
 * message at a time (basic.qos `prefetchCount`, channel-wide as Dapr sets it),
 * hands the string headers over as metadata (keys query-escaped as Dapr does)
 * and acks once the app handled the message; a failure requeues it.
 */
export class RabbitMQBinding implements InputBindingDriver, OutputBindingDriver {
  private name = '';
  private logger!: Logger;
  private conn?: RabbitConnection;
  private settings!: RabbitConnectionSettings;
  private queue!: QueueDeclaration;
  private prefetchCount = 0;
  private contentType = 'text/plain';
  private requeueDelayMs = 0;
  private output?: Channel;
  private opening?: Promise<Channel>;
  private readonly consumers = new Set<RabbitQueueConsumer>();

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    this.logger = new Logger(`${md.type}/${md.name}`);
    const m = decodeMetadata(RABBITMQ_BINDING_METADATA, md);
    amqpScheme(md, 'host', m.host);
    const tls = { ca: pemField(md, 'caCert', m.caCert), cert: pemField(md, 'clientCert', m.clientCert), key: pemField(md, 'clientKey', m.clientKey) };
    if (m.saslExternal && !(tls.ca && tls.cert && tls.key)) {
      throw metadataError(md, 'saslExternal', 'can only be true when caCert, clientCert and clientKey are all set');
    }
    if (m.ttl !== undefined && m.ttl <= 0) throw metadataError(md, 'ttl', 'must be higher than zero');
    const args: Record<string, unknown> = {};
    if (m.ttl !== undefined) args['x-message-ttl'] = Math.floor(m.ttl);
    if (m.maxPriority !== undefined) args['x-max-priority'] = Math.min(255, m.maxPriority);
    this.queue = {
      name: m.queueName,
      options: { durable: m.durable, autoDelete: m.deleteWhenUnused, exclusive: m.exclusive, arguments: args },
    };
    this.prefetchCount = m.prefetchCount;
    this.contentType = m.contentType || 'text/plain';
    this.requeueDelayMs = Math.max(0, m.requeueDelay);
    this.settings = { uri: m.host, tls, saslExternal: m.saslExternal, reconnectWaitMs: Math.max(0, m.reconnectWaitInSeconds) };
    this.conn = await RabbitConnection.open(md.type, this.settings, this.logger);
    // Declared at start, as Dapr does: a queue whose settings conflict with the broker's fails init.
    await this.outputChannel();
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async ping(): Promise<void> {
    if (!this.conn?.isUp) throw new Error(`binding "${this.name}": not connected to RabbitMQ`);
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    if (req.operation.toLowerCase() !== 'create') {
      throw new BindingRequestError(this.name, req.operation, `unsupported operation; supported: ${OPERATIONS.join(', ')}`);
    }
    const props: Options.Publish = { deliveryMode: 2, contentType: this.contentType, headers: { ...req.metadata } };
    const ttl = requestTtlMs(req.metadata);
    if (typeof ttl === 'object') throw new BindingRequestError(this.name, req.operation, `failed to get TTL: ${ttl.error}`);
    if (ttl !== undefined) props.expiration = String(ttl);
    const priority = requestPriority(req.metadata);
    if (typeof priority === 'object') throw new BindingRequestError(this.name, req.operation, priority.error);
    if (priority) props.priority = priority;
    applyMessageProperties(req.metadata, props);
    const ch = this.output ?? (await this.outputChannel());
    const body = req.data ? Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength) : Buffer.alloc(0);
    if (!ch.publish('', this.queue.name, body, props)) await once(ch, 'drain');
    return {};
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    const { name, options } = this.queue;
    const consumer = new RabbitQueueConsumer({
      connection: this.conn!,
      queue: name,
      declare: async (ch) => {
        await ch.assertQueue(name, options);
      },
      prefetchCount: this.prefetchCount,
      prefetchGlobal: true,
      autoAck: false,
      onRetry: 'requeue',
      requeueDelayMs: this.requeueDelayMs,
      concurrency: 'single',
      toMessage: (msg) => ({ topic: name, data: msg.content, metadata: headersToMetadata(msg) }),
      reconnectWaitMs: this.settings.reconnectWaitMs,
      handler: async (msg) => {
        await handler({ data: msg.data, metadata: msg.metadata });
        return 'SUCCESS';
      },
      logger: this.logger,
    });
    this.consumers.add(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.consumers.delete(consumer);
      await consumer.stop();
      throw err;
    }
    return async () => {
      await consumer.stop();
      this.consumers.delete(consumer);
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    const ch = this.output;
    this.output = undefined;
    await ch?.close().catch(() => undefined);
    await this.conn?.close().catch(() => undefined);
  }

  /** The publishing channel, opened (and the queue declared on it) when there is none. */
  private outputChannel(): Promise<Channel> {
    if (!this.opening) {
      if (!this.conn?.isUp) return Promise.reject(new Error(`binding "${this.name}": channel/connection is not open`));
      this.opening = (async () => {
        const ch = await this.conn!.channel();
        ch.on('error', (err: Error) => this.logger.warn(`channel failed: ${err.message}`));
        try {
          await ch.assertQueue(this.queue.name, this.queue.options);
        } catch (err) {
          await ch.close().catch(() => undefined);
          throw new Error(`declaring queue "${this.queue.name}" failed: ${(err as Error).message}`, { cause: err });
        }
        ch.on('close', () => {
          if (this.output === ch) this.output = undefined;
        });
        this.output = ch;
        return ch;
      })().finally(() => (this.opening = undefined));
    }
    return this.opening;
  }
}

/** String headers, keys escaped as Go's `url.QueryEscape` (Dapr sends them on as HTTP metadata). */
function headersToMetadata(msg: ConsumeMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.properties.headers ?? {})) {
    if (typeof v === 'string') out[queryEscape(k)] = v;
  }
  return out;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
