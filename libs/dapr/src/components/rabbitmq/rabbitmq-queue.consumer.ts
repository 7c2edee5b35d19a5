import type { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { DriverSubscription } from '../../spi/kit/subscription-set';
import type { DeliveryOutcome, PubSubHandler, PubSubMessage } from '../../spi/pubsub.spi';
import type { RabbitConnection } from './rabbitmq-connection';

export interface RabbitConsumerOptions {
  connection: RabbitConnection;
  queue: string;
  /** Declares what the consumer needs on a fresh channel (exchange, queues, bindings). */
  declare: (ch: Channel) => Promise<void>;
  /** basic.qos prefetch (0: none) and whether it is channel-wide (`global`). */
  prefetchCount: number;
  prefetchGlobal: boolean;
  autoAck: boolean;
  /** Where a RETRY goes: back onto the queue, or to the queue's dead-letter exchange. */
  onRetry: 'requeue' | 'dead-letter';
  requeueDelayMs: number;
  concurrency: 'single' | 'parallel';
  toMessage: (msg: ConsumeMessage) => PubSubMessage;
  reconnectWaitMs: number;
  handler: PubSubHandler;
  logger: Logger;
}

/**
 * One queue consumed on a channel of its own (so its prefetch and a channel
 * error stay its own), as Dapr's `subscribeForever` and the binding's `Read`:
 * declare, `basic.qos(prefetchCount)`, consume with a fresh consumer tag
 * `<queue>-<uuid>`; when the channel closes (connection lost, queue deleted,
 * consumer cancelled) it is opened and declared again every
 * `reconnectWaitMs` until it works.
 *
 * Settling (unless autoAck): SUCCESS and DROP ack; RETRY nacks, either to the
 * queue's dead-letter exchange or back onto the queue after `requeueDelayMs`
 * (so a handler that keeps failing does not spin the broker). `single`
 * concurrency runs one message at a time in delivery order, `parallel` all
 * prefetched ones at once. An ack that cannot be sent (the channel died)
 * leaves the message to the broker, which redelivers it: at-least-once.
 */
export class RabbitQueueConsumer implements DriverSubscription {
  private channel?: Channel;
  private consumerTag?: string;
  private stopping = false;
  private active = 0;
  private idle?: () => void;
  private serial: Promise<void> = Promise.resolve();
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly o: RabbitConsumerOptions) {}

  /** The first attach must work: a broker refusal (bad arguments, quorum + auto-delete...) fails the start. */
  async start(): Promise<void> {
    await this.attach();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const ch = this.channel;
    if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => undefined);
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.channel = undefined;
    // Closing the channel gives every delivered but unsettled message back to the queue.
    await ch?.close().catch(() => undefined);
  }

  private async attach(): Promise<void> {
    const o = this.o;
    const ch = await o.connection.channel();
    ch.on('error', (err: Error) => {
      if (!this.stopping) o.logger.warn(`channel of queue "${o.queue}" failed: ${err.message}`);
    });
    try {
      await o.declare(ch);
      if (o.prefetchCount > 0) await ch.prefetch(o.prefetchCount, o.prefetchGlobal);
      // AMQP limits consumer tags to 255 bytes; keep the unique end.
      const tag = `${o.queue}-${randomUUID()}`.slice(-255);
      ch.on('close', () => this.onChannelClosed(ch));
      this.channel = ch;
      this.consumerTag = tag;
      await ch.consume(o.queue, (msg) => this.onMessage(ch, msg), { noAck: o.autoAck, consumerTag: tag });
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw new Error(`consuming queue "${o.queue}" failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private onChannelClosed(ch: Channel): void {
    if (this.stopping || this.channel !== ch) return;
    this.channel = undefined;
    this.o.logger.warn(`consumer of queue "${this.o.queue}" lost its channel; subscribing again in ${this.o.reconnectWaitMs} ms`);
    this.scheduleReattach();
  }

  private scheduleReattach(): void {
    this.retryTimer = setTimeout(() => {
      if (this.stopping) return;
      this.attach().then(
        () => this.o.logger.log(`consuming queue "${this.o.queue}" again`),
        (err: Error) => {
          if (this.stopping) return;
          this.o.logger.warn(`${err.message}; retrying in ${this.o.reconnectWaitMs} ms`);
          this.scheduleReattach();
        },
      );
    }, this.o.reconnectWaitMs);
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted...): start over on a new channel.
      if (!this.stopping) void ch.close().catch(() => undefined);
      return;
    }
    if (this.o.concurrency === 'single') this.serial = this.serial.then(() => this.process(ch, msg));
    else void this.process(ch, msg);
  }

  /** Runs one message (no async frames on the hot path: a promise chain, acked synchronously). */
  private process(ch: Channel, msg: ConsumeMessage): Promise<void> | undefined {
    // Not started once intake stopped: it goes back to the queue when the channel closes.
    if (this.stopping && !this.o.autoAck) return undefined;
    this.active++;
    let run: Promise<DeliveryOutcome>;
    try {
      run = this.o.handler(this.o.toMessage(msg));
    } catch (err) {
      run = Promise.reject(err);
    }
    return run.then(
      (outcome) => this.settle(ch, msg, outcome),
      (err: unknown) => {
        this.o.logger.warn(`handler for queue "${this.o.queue}" failed: ${(err as Error)?.message ?? err}; the message is redelivered`);
        return this.settle(ch, msg, 'RETRY');
      },
    );
  }

  private settle(ch: Channel, msg: ConsumeMessage, outcome: DeliveryOutcome): Promise<void> | undefined {
    if (!this.o.autoAck && outcome === 'RETRY' && this.o.onRetry === 'requeue') {
      // Back onto the queue after a pause, so a handler that keeps failing does not spin the broker.
      return new Promise<void>((resolve) => setTimeout(resolve, this.o.requeueDelayMs)).then(() => {
        this.send(() => ch.nack(msg, false, true));
        this.done();
      });
    }
    if (!this.o.autoAck) this.send(outcome === 'RETRY' ? () => ch.nack(msg, false, false) : () => ch.ack(msg));
    this.done();
    return undefined;
  }

  /** An ack/nack; when the channel is gone the broker has requeued the message already. */
  private send(frame: () => void): void {
    try {
      frame();
    } catch (err) {
      this.o.logger.warn(`settling a message of queue "${this.o.queue}" failed: ${(err as Error).message}; the broker redelivers it`);
    }
  }

  private done(): void {
    if (--this.active === 0) this.idle?.();
  }
}
