import { ServiceBusPubSub, type ServiceBusSource } from './servicebus.pubsub';

/**
 * `pubsub.azure.servicebus.queues`: a Dapr topic is a queue; all subscribers
 * compete for its messages (no fan-out). Sessions are not supported, as in Dapr.
 */
export class ServiceBusQueuesPubSub extends ServiceBusPubSub {
  protected ensureForPublish(topic: string): Promise<void> {
    return this.connection.ensureQueue(topic);
  }

  protected async prepareSource(topic: string): Promise<ServiceBusSource> {
    await this.connection.ensureQueue(topic);
    return { entity: topic };
  }
}
