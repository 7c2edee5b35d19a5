import { ComponentConfigError } from '../../errors/component-config.error';
import type { ServiceBusSubscribeSettings } from './servicebus.pubsub';
import { ServiceBusPubSub, type ServiceBusSource } from './servicebus.pubsub';

/**
 * `pubsub.azure.servicebus.topics`: a Dapr topic is a Service Bus topic and
 * each consumer group (`consumerID`, defaulting to the app id) is one
 * subscription on it, so every app gets its copy and instances of one app
 * compete for messages.
 */
export class ServiceBusTopicsPubSub extends ServiceBusPubSub {
  protected ensureForPublish(topic: string): Promise<void> {
    return this.connection.ensureTopic(topic);
  }

  protected async prepareSource(topic: string, r: ServiceBusSubscribeSettings): Promise<ServiceBusSource> {
    const subscription = r.consumerID || this.md.appId;
    if (!subscription) {
      throw new ComponentConfigError(
        `component "${this.md.name}" needs metadata "consumerID" (the subscription name) or an app id`,
        undefined,
        this.md.name,
        'consumerID',
      );
    }
    const requireSessions = r.requireSessions;
    await this.connection.ensureSubscription(topic, subscription, requireSessions);
    if (!requireSessions) return { entity: topic, subscription };
    return {
      entity: topic,
      subscription,
      sessions: {
        maxConcurrentSessions: r.maxConcurrentSessions,
        sessionIdleTimeoutMs: r.sessionIdleTimeoutInSec * 1000,
      },
    };
  }
}
