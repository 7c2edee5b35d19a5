import { Logger } from '@nestjs/common';
import type { InputBindingDriver, InputBindingHandler, InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { ServiceBusConnection } from './servicebus-connection';
import { decodeMetadata } from '../../spi/kit/metadata';
import { SERVICEBUS_QUEUES_BINDING_METADATA } from './servicebus.metadata';
import { parseServiceBusSettings } from './servicebus-metadata';
import { ServiceBusSubscription } from './servicebus.subscription';

const OPERATIONS = ['create'] as const;

/**
 * `bindings.azure.servicebusqueues` on the same connection code as the pub/sub
 * drivers: output `create` sends to `queueName` (request metadata maps to
 * message properties exactly as for publish; the component's `ttlInSeconds`
 * is the default time-to-live); input reads `queueName` in peek-lock mode,
 * completing a message when the app handled it and abandoning it when the
 * handler rejects, so the queue redelivers and dead-letters at maxDeliveryCount.
 */
export class ServiceBusQueuesBinding implements InputBindingDriver, OutputBindingDriver {
  private md!: ComponentMetadata;
  private connection!: ServiceBusConnection;
  private queue!: string;
  private defaultTtl?: string;
  private logger!: Logger;
  private readonly readers = new Set<ServiceBusSubscription>();

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    const m = decodeMetadata(SERVICEBUS_QUEUES_BINDING_METADATA, md);
    const queue = m.queueName;
    this.queue = queue;
    // For the binding, ttlInSeconds is the TTL of every message sent, not an entity creation option.
    this.defaultTtl = m.ttlInSeconds === undefined ? undefined : String(m.ttlInSeconds);
    const settings = parseServiceBusSettings({ ...md, properties: withoutKey(md.properties, 'ttlInSeconds') });
    this.logger = new Logger(`${md.type}/${md.name}`);
    this.connection = new ServiceBusConnection(md.type, md.name, settings);
    await this.connection.open();
    await this.connection.ensureQueue(queue);
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    if (req.operation !== 'create') {
      throw new Error(`binding "${this.md.name}": operation "${req.operation}" is not supported; supported: ${OPERATIONS.join(', ')}`);
    }
    const metadata = this.defaultTtl && !req.metadata.ttlInSeconds ? { ...req.metadata, ttlInSeconds: this.defaultTtl } : req.metadata;
    await this.connection.publish(this.queue, req.data ?? new Uint8Array(0), metadata);
    return {};
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    const s = this.connection.settings;
    const sub = new ServiceBusSubscription({
      receiver: this.connection.receiver(this.queue),
      topic: this.queue,
      handler: async (m) => {
        try {
          await handler({ data: m.data, metadata: m.metadata });
          return 'SUCCESS';
        } catch (err) {
          this.logger.warn(`input binding handler failed for message ${m.id}: ${(err as Error).message}; abandoning it`);
          return 'RETRY';
        }
      },
      logger: this.logger,
      maxConcurrentCalls: s.maxConcurrentHandlers > 0 ? Math.min(s.maxConcurrentHandlers, s.maxActiveMessages) : s.maxActiveMessages,
      lockRenewalMs: s.lockRenewalInSec * 1000,
      handlerTimeoutMs: s.handlerTimeoutInSec * 1000,
      attachTimeoutMs: s.timeoutInSec * 1000,
      maxRetriableErrorsPerSec: s.maxRetriableErrorsPerSec,
    });
    await sub.start();
    this.readers.add(sub);
    return async () => {
      await sub.stop();
      this.readers.delete(sub);
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.readers].map((r) => r.stop()));
    this.readers.clear();
    await this.connection?.close();
  }
}

function withoutKey(props: Record<string, string>, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) if (k.toLowerCase() !== key.toLowerCase()) out[k] = v;
  return out;
}
