import type { Logger } from '@nestjs/common';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { DeliveryOutcome, PubSubHandler } from '../../spi/pubsub.spi';
import { fromReceivedMessage } from './servicebus-message';

export interface ServiceBusSubscriptionOptions {
  receiver: ServiceBusReceiver;
  topic: string;
  handler: PubSubHandler;
  logger: Logger;
  /** Messages the SDK keeps in flight (link credit). */
  maxConcurrentCalls: number;
  /** 0 = no renewal. */
  lockRenewalMs: number;
  /** 0 = no timeout. */
  handlerTimeoutMs: number;
  /** How long `start` waits for the receiver link before returning anyway. */
  attachTimeoutMs: number;
  /** Abandons allowed per second (Dapr `maxRetriableErrorsPerSec`, default 10; 0 = unlimited). */
  maxRetriableErrorsPerSec?: number;
}

/** Errors that retrying the attach cannot fix: subscribing fails with them instead of retrying forever. */
const ATTACH_CONFIRMATIONS = 5;
const FATAL_ATTACH_CODES = new Set(['MessagingEntityNotFound', 'UnauthorizedAccess', 'MessagingEntityDisabled']);

const TIMED_OUT = Symbol('timed-out');

/**
 * One peek-lock consumer, settling like Dapr's Service Bus component:
 * SUCCESS and DROP complete the message, RETRY (or a thrown / timed-out
 * handler) abandons it so the broker redelivers it and dead-letters it at
 * `maxDeliveryCount`. The lock is renewed every `lockRenewalInSec` while the
 * handler runs. A failed settle is logged: the message reappears once its
 * lock expires (at-least-once).
 */
export class ServiceBusSubscription {
  private closer?: { close(): Promise<void> };
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private attachError?: Error;

  constructor(private readonly o: ServiceBusSubscriptionOptions) {}

  /**
   * Subscribes and resolves once the receiver link is attached, so a publish
   * right after `subscribe()` cannot race the link (a topic subscription only
   * gets messages published after it exists). Rejects on errors a retry
   * cannot fix, such as a missing entity with entity management disabled.
   */
  async start(): Promise<void> {
    const sub = this.o.receiver.subscribe(
      {
        processMessage: (msg) => this.track(this.process(msg)),
        processError: async (args) => {
          if (this.stopped) return;
          const code = (args.error as { code?: string }).code;
          if (code && FATAL_ATTACH_CODES.has(code) && !this.attachError) this.attachError = args.error;
          this.o.logger.warn(`receive error on "${this.o.topic}" (${args.errorSource}): ${args.error.message}`);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.o.maxConcurrentCalls },
    );
    this.closer = sub;
    const deadline = Date.now() + this.o.attachTimeoutMs;
    // The service answers an attach to a missing entity with an attach and then a
    // detach carrying the error, so an open link is confirmed once more a moment later.
    let confirmations = 0;
    while (Date.now() < deadline) {
      if (this.attachError) {
        const err = this.attachError;
        await this.stop();
        throw err;
      }
      if (this.linkOpen() && ++confirmations > ATTACH_CONFIRMATIONS) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * The SDK has no "receiver ready" event; its streaming receiver exposes
   * `isOpen()`. If a future SDK renames it, this degrades to not waiting.
   */
  private linkOpen(): boolean {
    const streaming = (this.o.receiver as unknown as { _streamingReceiver?: { isOpen?: () => boolean } })._streamingReceiver;
    if (!streaming || typeof streaming.isOpen !== 'function') return true;
    return streaming.isOpen();
  }

  /** Stops intake (drains link credit), waits for in-flight handlers and their settlement, closes the link. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.closer?.close().catch(() => undefined);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.o.receiver.close().catch(() => undefined);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async process(msg: ServiceBusReceivedMessage): Promise<void> {
    const { receiver, handler, lockRenewalMs } = this.o;
    const renew =
      lockRenewalMs > 0
        ? setInterval(() => {
            receiver.renewMessageLock(msg).catch((err: Error) => {
              this.o.logger.warn(`lock renewal of message ${String(msg.messageId)} on "${this.o.topic}" failed: ${err.message}`);
            });
          }, lockRenewalMs)
        : undefined;
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.runHandler(handler, msg);
    } finally {
      if (renew) clearInterval(renew);
    }
    try {
      if (outcome === 'RETRY') {
        // Like Dapr: failing handlers are rate-limited so a poison burst does not spin the broker.
        await this.retryToken();
        await receiver.abandonMessage(msg);
      }
      else await receiver.completeMessage(msg);
    } catch (err) {
      this.o.logger.warn(
        `could not ${outcome === 'RETRY' ? 'abandon' : 'complete'} message ${String(msg.messageId)} on "${this.o.topic}": ${(err as Error).message}; it is redelivered when its lock expires`,
      );
    }
  }

  private nextRetryAt = 0;

  private async retryToken(): Promise<void> {
    const rate = this.o.maxRetriableErrorsPerSec ?? 0;
    if (rate <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.nextRetryAt);
    this.nextRetryAt = at + 1000 / rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  private async runHandler(handler: PubSubHandler, msg: ServiceBusReceivedMessage): Promise<DeliveryOutcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = handler(fromReceivedMessage(this.o.topic, msg));
      const result =
        this.o.handlerTimeoutMs > 0
          ? await Promise.race([
              run,
              new Promise<typeof TIMED_OUT>((resolve) => {
                timer = setTimeout(() => resolve(TIMED_OUT), this.o.handlerTimeoutMs);
              }),
            ])
          : await run;
      if (result === TIMED_OUT) {
        this.o.logger.warn(
          `handler for message ${String(msg.messageId)} on "${this.o.topic}" exceeded handlerTimeoutInSec; abandoning it for redelivery`,
        );
        return 'RETRY';
      }
      return result;
    } catch {
      return 'RETRY';
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
