import type { SubscriptionHandle } from '../pubsub.spi';

/** A broker subscription a driver runs: started once, stopped once (stop is idempotent). */
export interface DriverSubscription {
  start(): Promise<void> | void;
  stop(): Promise<void>;
}

/**
 * The live subscriptions of one pub/sub driver. Every broker driver needs the
 * same bookkeeping: a subscription that fails to start is stopped (so its
 * connection is not leaked) and forgotten; `close()` stops whatever is left.
 */
export class SubscriptionSet {
  private readonly live = new Set<DriverSubscription>();

  async start(sub: DriverSubscription): Promise<SubscriptionHandle> {
    this.live.add(sub);
    try {
      await sub.start();
    } catch (err) {
      this.live.delete(sub);
      await sub.stop().catch(() => undefined);
      throw err;
    }
    return {
      stop: async () => {
        await sub.stop();
        this.live.delete(sub);
      },
    };
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.live].map((s) => s.stop()));
    this.live.clear();
  }
}
