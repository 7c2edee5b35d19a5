import type { Logger } from '@nestjs/common';
import type { ServiceBusSessionReceiver } from '@azure/service-bus';
import type { PubSubHandler } from '../../spi/pubsub.spi';
import { ServiceBusSubscription } from './servicebus.subscription';

export interface ServiceBusSessionSubscriptionOptions {
  acceptNextSession: () => Promise<ServiceBusSessionReceiver>;
  topic: string;
  handler: PubSubHandler;
  logger: Logger;
  /** Sessions processed at once (Dapr `maxConcurrentSessions`, default 8). */
  maxConcurrentSessions: number;
  /** A session with no message for this long is released (Dapr `sessionIdleTimeoutInSec`, default 60). */
  sessionIdleTimeoutMs: number;
  handlerTimeoutMs: number;
  attachTimeoutMs: number;
  maxRetriableErrorsPerSec?: number;
}

/**
 * `requireSessions` on a topic subscription, like Dapr's component: up to
 * `maxConcurrentSessions` session receivers, each locking the next free
 * session and handling its messages one at a time (FIFO within a session),
 * settling them like a plain subscription. An idle session is released so
 * another one can be picked up. The SDK renews the session lock, which covers
 * the session's message locks.
 */
export class ServiceBusSessionSubscription {
  private stopped = false;
  private wake!: () => void;
  private readonly stopping = new Promise<void>((r) => (this.wake = r));
  private loops: Promise<void>[] = [];

  constructor(private readonly o: ServiceBusSessionSubscriptionOptions) {}

  start(): void {
    this.loops = Array.from({ length: this.o.maxConcurrentSessions }, () => this.loop());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake();
    await Promise.allSettled(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let receiver: ServiceBusSessionReceiver | undefined;
      try {
        const accepting = this.o.acceptNextSession();
        receiver = await Promise.race([accepting, this.stopping.then(() => undefined)]);
        if (!receiver) {
          // Stopped while waiting: release the session if the accept still succeeds.
          accepting.then((r) => r.close(), () => undefined);
          break;
        }
      } catch (err) {
        // No session became available within the operation timeout: ask again.
        if (!this.stopped && (err as { code?: string }).code !== 'ServiceTimeout') {
          this.o.logger.warn(`accepting a session on "${this.o.topic}" failed: ${(err as Error).message}`);
          await Promise.race([new Promise((r) => setTimeout(r, 1_000)), this.stopping]);
        }
        continue;
      }
      if (this.stopped) {
        await receiver.close().catch(() => undefined);
        break;
      }
      await this.runSession(receiver);
    }
  }

  private async runSession(receiver: ServiceBusSessionReceiver): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let release!: () => void;
    const idle = new Promise<void>((r) => (release = r));
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(release, this.o.sessionIdleTimeoutMs);
    };
    const sub = new ServiceBusSubscription({
      receiver,
      topic: this.o.topic,
      handler: async (m) => {
        clearTimeout(timer);
        try {
          return await this.o.handler(m);
        } finally {
          arm();
        }
      },
      logger: this.o.logger,
      maxConcurrentCalls: 1,
      lockRenewalMs: 0,
      handlerTimeoutMs: this.o.handlerTimeoutMs,
      attachTimeoutMs: this.o.attachTimeoutMs,
      maxRetriableErrorsPerSec: this.o.maxRetriableErrorsPerSec,
    });
    arm();
    try {
      await sub.start();
      await Promise.race([idle, this.stopping]);
    } catch (err) {
      this.o.logger.warn(`session ${receiver.sessionId} on "${this.o.topic}" failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      await sub.stop();
    }
  }
}
