import { Logger } from '@nestjs/common';
import type { ComponentMetadata } from '../component.spi';
import type { PubSubDriver, PubSubFeature, PubSubHandler, PublishRequest, SubscribeRequest, SubscriptionHandle } from '../pubsub.spi';
import { SubscriptionSet } from './subscription-set';

/**
 * What every broker-backed pub/sub driver does the same way: keep its
 * metadata, decoded settings and a logger named after the component, track
 * its live subscriptions (`SubscriptionSet`), refuse work once closed, and at
 * close stop the subscriptions before releasing the connection. A driver
 * only says how to decode its settings, connect, publish, subscribe and
 * disconnect.
 */
export abstract class BrokerPubSub<S> implements PubSubDriver {
  protected md!: ComponentMetadata;
  protected settings!: S;
  protected logger!: Logger;
  protected readonly subscriptions = new SubscriptionSet();
  private closed = false;

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    this.logger = new Logger(`${md.type}/${md.name}`);
    this.settings = this.decodeSettings(md);
    await this.connect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.stopAll();
    await this.disconnect();
  }

  /** Throws once the driver is closed (a publish or subscribe after shutdown began). */
  protected assertOpen(): void {
    if (this.closed) throw new Error(`pubsub "${this.md?.name}" is closed`);
  }

  /** The component's settings from its metadata (typed errors naming file, line and field). */
  protected abstract decodeSettings(md: ComponentMetadata): S;
  /** Connects with `this.settings`; a failure fails init (the runtime then calls `close`). */
  protected abstract connect(): Promise<void>;
  /** Releases the connection; called once, after every subscription stopped. */
  protected abstract disconnect(): Promise<void>;

  abstract features(): readonly PubSubFeature[];
  abstract publish(req: PublishRequest): Promise<void>;
  abstract subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle>;
}
