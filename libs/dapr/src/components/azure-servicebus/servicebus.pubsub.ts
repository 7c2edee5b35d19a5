import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  BulkPublishDriverResponse,
  BulkPublishRequest,
  PubSubFeature,
  PubSubHandler,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';
import { ServiceBusConnection } from './servicebus-connection';
import { decodeMetadata, type DecodedMetadata } from '../../spi/kit/metadata';
import { SERVICEBUS_SUBSCRIBE_METADATA } from './servicebus.metadata';

/** The component's metadata with the subscription's over it. */
export type ServiceBusSubscribeSettings = DecodedMetadata<typeof SERVICEBUS_SUBSCRIBE_METADATA.fields>;
import { parseServiceBusSettings, type ServiceBusSettings } from './servicebus-metadata';
import { ServiceBusSessionSubscription } from './servicebus-session.subscription';
import { ServiceBusSubscription } from './servicebus.subscription';

// Service Bus enforces TTL natively (so the block writes no CloudEvent `expiration`) and sends batches.
const FEATURES: readonly PubSubFeature[] = ['MESSAGE_TTL', 'BULK_PUBSUB'];

/** Where a subscription reads from: a queue, or a topic subscription. */
export interface ServiceBusSource {
  entity: string;
  subscription?: string;
  /** Set for a session-enabled topic subscription (`requireSessions`). */
  sessions?: { maxConcurrentSessions: number; sessionIdleTimeoutMs: number };
}

/**
 * What the topics and queues drivers share: connection, publish (single and
 * batched), peek-lock subscriptions. Subclasses only say which entity a Dapr
 * topic maps to and how it is provisioned.
 */
export abstract class ServiceBusPubSub extends BrokerPubSub<ServiceBusSettings> {
  protected connection!: ServiceBusConnection;

  protected decodeSettings(md: ComponentMetadata): ServiceBusSettings {
    return parseServiceBusSettings(md);
  }

  protected async connect(): Promise<void> {
    this.connection = new ServiceBusConnection(this.md.type, this.md.name, this.settings);
    await this.connection.open();
  }

  protected async disconnect(): Promise<void> {
    await this.connection?.close();
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    await this.ensureForPublish(req.topic);
    await this.connection.publish(req.topic, req.data, req.metadata, req.contentType);
  }

  async bulkPublish(req: BulkPublishRequest): Promise<BulkPublishDriverResponse> {
    this.assertOpen();
    await this.ensureForPublish(req.topic);
    return this.connection.publishBulk(req.topic, req.entries, req.metadata);
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    // Subscription metadata is decoded over the component's, the subscription's winning.
    const r = decodeMetadata(SERVICEBUS_SUBSCRIBE_METADATA, this.md, { overrides: [req.metadata] });
    const source = await this.prepareSource(req.topic, r);
    const s = this.settings;
    if (source.sessions && source.subscription !== undefined) {
      const subscription = source.subscription;
      const sessions = new ServiceBusSessionSubscription({
        acceptNextSession: () => this.connection.acceptNextSession(source.entity, subscription),
        topic: req.topic,
        handler,
        logger: this.logger,
        ...source.sessions,
        handlerTimeoutMs: r.handlerTimeoutInSec * 1000,
        attachTimeoutMs: s.timeoutInSec * 1000,
        maxRetriableErrorsPerSec: r.maxRetriableErrorsPerSec,
      });
      return this.subscriptions.start(sessions);
    }
    // Subscription metadata may tune concurrency per subscription, like Dapr's subscribe options.
    const maxActive = r.maxActiveMessages;
    const maxHandlers = r.maxConcurrentHandlers;
    const sub = new ServiceBusSubscription({
      receiver: this.connection.receiver(source.entity, source.subscription),
      topic: req.topic,
      handler,
      logger: this.logger,
      // In flight = link credit: maxActiveMessages, capped by maxConcurrentHandlers when set (0 = unlimited).
      maxConcurrentCalls: maxHandlers > 0 ? Math.min(maxHandlers, maxActive) : maxActive,
      lockRenewalMs: r.lockRenewalInSec * 1000,
      handlerTimeoutMs: r.handlerTimeoutInSec * 1000,
      attachTimeoutMs: s.timeoutInSec * 1000,
      maxRetriableErrorsPerSec: r.maxRetriableErrorsPerSec,
    });
    return this.subscriptions.start(sub);
  }

  /** Creates the entity a publish goes to, when entity management is on. */
  protected abstract ensureForPublish(topic: string): Promise<void>;

  /** Resolves (and, with entity management, creates) what a subscription reads. */
  protected abstract prepareSource(topic: string, settings: ServiceBusSubscribeSettings): Promise<ServiceBusSource>;
}
