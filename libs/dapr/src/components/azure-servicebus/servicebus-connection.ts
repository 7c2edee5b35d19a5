import type {
  ServiceBusAdministrationClient,
  ServiceBusClient,
  ServiceBusMessage,
  ServiceBusReceiver,
  ServiceBusSender,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';
import { Logger } from '@nestjs/common';
import { MessageTooLargeError } from '../../errors/message-too-large.error';
import { loadPackage } from '../../spi/kit/load-package';
import type { BulkPublishDriverResponse, BulkPublishRequestEntry } from '../../spi/pubsub.spi';
import { isoSeconds, type ServiceBusSettings } from './servicebus-metadata';
import { toServiceBusMessage } from './servicebus-message';

/** Whose limit refused an oversize message, in MessageTooLargeError's words. */
const SERVICE_BUS_LIMIT = 'Service Bus accepts on this entity';

type ServiceBusSdk = typeof import('@azure/service-bus');
type IdentitySdk = typeof import('@azure/identity');

/**
 * One namespace connection shared by a component's publishes and
 * subscriptions: the SDK client, a sender per entity, and (only when entity
 * management is on) the HTTPS administration client that creates missing
 * queues, topics and subscriptions like Dapr does.
 */
export class ServiceBusConnection {
  private sdk!: ServiceBusSdk;
  private client!: ServiceBusClient;
  private admin?: ServiceBusAdministrationClient;
  private readonly senders = new Map<string, ServiceBusSender>();
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly componentType: string,
    private readonly pubsub: string,
    readonly settings: ServiceBusSettings,
  ) {}

  async open(): Promise<void> {
    this.sdk = await loadPackage<ServiceBusSdk>(this.componentType, '@azure/service-bus');
    const s = this.settings;
    const options = {
      retryOptions: {
        // Dapr retries publishes publishMaxRetries times with exponential backoff; the SDK's
        // retry policy does the same for every operation, bounded by timeoutInSec each try.
        maxRetries: s.publishMaxRetries,
        retryDelayInMs: s.publishInitialRetryIntervalInMs,
        mode: this.sdk.RetryMode.Exponential,
        timeoutInMs: s.timeoutInSec * 1000,
      },
    };
    if (s.connectionString) {
      this.client = new this.sdk.ServiceBusClient(s.connectionString, options);
      if (!s.disableEntityManagement && /(^|;)\s*UseDevelopmentEmulator\s*=\s*true\s*(;|$)/i.test(s.connectionString)) {
        // The administration client speaks ATOM over HTTPS and ignores the emulator flag, so it
        // cannot reach a local emulator or test peer: skip management instead of failing every call.
        new Logger(`${this.componentType}/${this.pubsub}`).warn(
          'UseDevelopmentEmulator=true: entity management (HTTPS) is unavailable and is disabled; declare entities on the emulator',
        );
      } else if (!s.disableEntityManagement) {
        this.admin = new this.sdk.ServiceBusAdministrationClient(s.connectionString);
      }
    } else {
      const credential = await this.credential();
      this.client = new this.sdk.ServiceBusClient(s.namespaceName!, credential, options);
      if (!s.disableEntityManagement) this.admin = new this.sdk.ServiceBusAdministrationClient(s.namespaceName!, credential);
    }
  }

  private async credential() {
    const identity = await loadPackage<IdentitySdk>(this.componentType, '@azure/identity');
    const s = this.settings;
    if (s.azureTenantId && s.azureClientId && s.azureClientSecret) {
      return new identity.ClientSecretCredential(s.azureTenantId, s.azureClientId, s.azureClientSecret);
    }
    return new identity.DefaultAzureCredential(s.azureClientId ? { managedIdentityClientId: s.azureClientId } : undefined);
  }

  get managementEnabled(): boolean {
    return this.admin !== undefined;
  }

  sender(entity: string): ServiceBusSender {
    let sender = this.senders.get(entity);
    if (!sender) {
      sender = this.client.createSender(entity);
      this.senders.set(entity, sender);
    }
    return sender;
  }

  /** Peek-lock receiver; bodies stay bytes (the SDK would otherwise JSON.parse data sections). */
  receiver(entity: string, subscription?: string): ServiceBusReceiver {
    const options = { receiveMode: 'peekLock' as const, skipParsingBodyAsJson: true, maxAutoLockRenewalDurationInMs: 0 };
    return subscription !== undefined
      ? this.client.createReceiver(entity, subscription, options)
      : this.client.createReceiver(entity, options);
  }

  /** Locks the next available session of a session-enabled subscription (waits up to timeoutInSec). */
  acceptNextSession(topic: string, subscription: string): Promise<ServiceBusSessionReceiver> {
    return this.client.acceptNextSession(topic, subscription, { receiveMode: 'peekLock', skipParsingBodyAsJson: true });
  }

  async publish(entity: string, data: Uint8Array, metadata: Record<string, string>, contentType?: string): Promise<void> {
    const message = toServiceBusMessage(this.pubsub, data, metadata, contentType);
    try {
      await this.sender(entity).sendMessages(message);
    } catch (err) {
      throw this.translate(entity, err, message);
    }
  }

  /**
   * Sends entries in as few batches as the link's max-message-size allows: a
   * full batch is sent and a new one started; an entry too large for an empty
   * batch fails alone with a clear error. A failed batch fails its entries.
   */
  async publishBulk(
    entity: string,
    entries: BulkPublishRequestEntry[],
    common: Record<string, string>,
  ): Promise<BulkPublishDriverResponse> {
    const failedEntries: BulkPublishDriverResponse['failedEntries'] = [];
    const sender = this.sender(entity);
    let batch = await sender.createMessageBatch();
    let ids: string[] = [];
    const flush = async () => {
      if (ids.length === 0) return;
      const sent = ids;
      ids = [];
      try {
        await sender.sendMessages(batch);
      } catch (err) {
        const reason = this.translate(entity, err).message;
        for (const entryId of sent) failedEntries.push({ entryId, error: reason });
      }
      batch = await sender.createMessageBatch();
    };
    for (const entry of entries) {
      let message: ServiceBusMessage;
      try {
        message = toServiceBusMessage(this.pubsub, entry.event, { ...common, ...entry.metadata }, entry.contentType);
      } catch (err) {
        failedEntries.push({ entryId: entry.entryId, error: (err as Error).message });
        continue;
      }
      if (batch.tryAddMessage(message)) {
        ids.push(entry.entryId);
        continue;
      }
      await flush();
      if (batch.tryAddMessage(message)) {
        ids.push(entry.entryId);
        continue;
      }
      const size = entry.event.byteLength;
      failedEntries.push({
        entryId: entry.entryId,
        error: new MessageTooLargeError(this.pubsub, entity, size, batch.maxSizeInBytes, { limitOf: SERVICE_BUS_LIMIT }).message,
      });
    }
    await flush();
    return { failedEntries };
  }

  /** Creates a queue once per process when entity management is enabled (Dapr's EnsureQueue). */
  ensureQueue(name: string, requiresSession = false): Promise<void> {
    return this.ensure(`queue:${name}`, async (admin) => {
      if (await admin.queueExists(name)) return;
      await ignoreAlreadyExists(admin.createQueue(name, { ...this.creationOptions(), requiresSession }));
    });
  }

  /**
   * Creates a topic bare, as Dapr's `EnsureTopic` does (`CreateTopic(ctx, topic, nil)`):
   * the creation-only settings (TTL, auto-delete-on-idle, lock, delivery count) belong to
   * subscriptions and queues. A topic with a TTL would impose it on every Dapr app's
   * subscription, and an idle topic would be deleted with all its subscriptions.
   */
  ensureTopic(name: string): Promise<void> {
    return this.ensure(`topic:${name}`, async (admin) => {
      if (await admin.topicExists(name)) return;
      await ignoreAlreadyExists(admin.createTopic(name));
    });
  }

  ensureSubscription(topic: string, name: string, requiresSession = false): Promise<void> {
    return this.ensure(`sub:${topic}/${name}`, async (admin) => {
      await this.ensureTopic(topic);
      if (await admin.subscriptionExists(topic, name)) return;
      await ignoreAlreadyExists(admin.createSubscription(topic, name, { ...this.creationOptions(), requiresSession }));
    });
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((s) => s.close()));
    await this.client?.close();
  }

  private ensure(key: string, create: (admin: ServiceBusAdministrationClient) => Promise<void>): Promise<void> {
    const admin = this.admin;
    if (!admin) return Promise.resolve();
    let pending = this.ensured.get(key);
    if (!pending) {
      pending = create(admin).catch((err) => {
        this.ensured.delete(key);
        throw err;
      });
      this.ensured.set(key, pending);
    }
    return pending;
  }

  private creationOptions() {
    const s = this.settings;
    return {
      maxDeliveryCount: s.maxDeliveryCount,
      lockDuration: s.lockDurationInSec !== undefined ? isoSeconds(s.lockDurationInSec) : undefined,
      defaultMessageTimeToLive: s.defaultMessageTimeToLiveInSec !== undefined ? isoSeconds(s.defaultMessageTimeToLiveInSec) : undefined,
      autoDeleteOnIdle: s.autoDeleteOnIdleInSec !== undefined ? isoSeconds(s.autoDeleteOnIdleInSec) : undefined,
    };
  }

  /** Oversize → typed error; anything else names the pubsub and entity. */
  private translate(entity: string, err: unknown, message?: ServiceBusMessage): Error {
    const code = (err as { code?: string })?.code;
    if (code === 'MessageSizeExceeded') {
      const body = message?.body as Buffer | undefined;
      const limit = /limit \((\d+) bytes\)/.exec((err as Error).message)?.[1];
      return new MessageTooLargeError(this.pubsub, entity, body?.length, limit ? Number(limit) : undefined, { cause: err, limitOf: SERVICE_BUS_LIMIT });
    }
    if (err instanceof Error) {
      err.message = `pubsub "${this.pubsub}": publish to "${entity}" failed: ${err.message}`;
      return err;
    }
    return new Error(`pubsub "${this.pubsub}": publish to "${entity}" failed: ${String(err)}`);
  }
}

async function ignoreAlreadyExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // Another instance created it between our check and our create.
    if ((err as { code?: string })?.code !== 'MessageEntityAlreadyExistsError') throw err;
  }
}
