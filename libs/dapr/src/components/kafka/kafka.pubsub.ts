import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { Admin, IHeaders, Kafka, Message, Producer } from 'kafkajs';
import { MessageTooLargeError } from '../../errors/message-too-large.error';
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
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { KAFKA_SUBSCRIBE_METADATA, type KafkaBackoffMetadata } from './kafka.metadata';
import { Fnv1aPartitioner } from './fnv1a.partitioner';
import { parseKafkaConnection, type KafkaConnectionSettings } from './kafka-connection';
import { openKafkaClient, type KafkaClient, type KafkaJs } from './kafka-client';
import { createRangeAssigner } from './range.assigner';
import { KafkaTopicSubscription, type RedeliveryBackoff } from './kafka.subscription';

const FEATURES: readonly PubSubFeature[] = ['BULK_PUBSUB'];

/** Bytes a record adds around key, value and headers on the wire (record batch v2, worst case). */
const RECORD_OVERHEAD = 64;

/**
 * `pubsub.kafka` on kafkajs, wire-compatible with Dapr's sarama component:
 * `partitionKey`/`__key` become the record key placed with sarama's FNV-1a
 * partitioner, every publish metadata entry becomes a record header, and the
 * consumer delivers `__key`, `__offset`, `__topic`, `__timestamp`,
 * `__partition` plus the headers. Delivery is at-least-once and never skips a
 * record (see KafkaTopicSubscription).
 */
export class KafkaPubSub extends BrokerPubSub<KafkaConnectionSettings> {
  private kafkajs!: KafkaJs;
  private kafka!: Kafka;
  private client?: KafkaClient;
  private producer!: Producer;
  private admin?: Promise<Admin>;
  private readonly ensuredTopics = new Map<string, Promise<void>>();

  protected decodeSettings(md: ComponentMetadata): KafkaConnectionSettings {
    return parseKafkaConnection(md);
  }

  protected async connect(): Promise<void> {
    this.client = await openKafkaClient(this.md.type, this.settings, this.logger);
    this.kafkajs = this.client.kafkajs;
    this.kafka = this.client.kafka;
    this.producer = this.kafka.producer({
      createPartitioner: Fnv1aPartitioner,
      allowAutoTopicCreation: true,
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 5 },
    });
    await this.producer.connect();
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    const admin = await this.adminClient();
    await admin.describeCluster();
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    const record = this.toRecord(req.topic, req.data, req.metadata);
    await this.ensureTopic(req.topic);
    try {
      await this.producer.send({
        topic: req.topic,
        messages: [record],
        acks: this.settings.acks,
        compression: this.client!.compression,
      });
    } catch (err) {
      throw this.publishError(req.topic, record, err);
    }
  }

  async bulkPublish(req: BulkPublishRequest): Promise<BulkPublishDriverResponse> {
    this.assertOpen();
    const failedEntries: BulkPublishDriverResponse['failedEntries'] = [];
    const records: Message[] = [];
    const ids: string[] = [];
    for (const entry of req.entries) {
      try {
        records.push(this.toRecord(req.topic, entry.event, { ...req.metadata, ...entry.metadata }));
        ids.push(entry.entryId);
      } catch (err) {
        // An oversize entry fails alone; the others are still sent.
        failedEntries.push({ entryId: entry.entryId, error: (err as Error).message });
      }
    }
    if (records.length === 0) return { failedEntries };
    await this.ensureTopic(req.topic);
    try {
      await this.producer.send({ topic: req.topic, messages: records, acks: this.settings.acks, compression: this.client!.compression });
    } catch (err) {
      const message = this.publishError(req.topic, records[0], err).message;
      for (const entryId of ids) failedEntries.push({ entryId, error: message });
    }
    return { failedEntries };
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    // Subscription metadata is decoded over the component's, the subscription's winning.
    const r = decodeMetadata(KAFKA_SUBSCRIBE_METADATA, this.md, { overrides: [req.metadata] });
    // Dapr: `consumerGroup`, else `consumerID` (which the runtime defaults to the app id).
    const groupId = r.consumerGroup || r.consumerID || this.md.appId;
    const initialOffset = r.initialOffset;
    await this.ensureTopic(req.topic);
    const sub = new KafkaTopicSubscription({
      kafka: this.kafka,
      settings: this.settings,
      topic: req.topic,
      groupId,
      fromBeginning: initialOffset === 'oldest',
      partitionsConsumedConcurrently: r.partitionsConsumedConcurrently,
      backoff: readBackoff(r),
      assigner: createRangeAssigner(this.kafkajs.AssignerProtocol),
      handler,
      logger: this.logger,
      joinTimeoutMs: Math.max(15_000, this.settings.sessionTimeoutMs),
    });
    return this.subscriptions.start(sub);
  }

  protected async disconnect(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await Promise.allSettled([
      this.producer?.disconnect(),
      admin?.then((a) => a.disconnect()),
    ]);
    await this.client?.close();
  }

  /** Builds the record Dapr's component would write; refuses it when over `maxMessageBytes`. */
  private toRecord(topic: string, data: Uint8Array, metadata: Record<string, string>): Message {
    const headers: IHeaders = {};
    let key: string | undefined;
    let partition: number | undefined;
    let size = RECORD_OVERHEAD;
    const exclude = this.settings.excludeHeaderMetaRegex;
    for (const name of Object.keys(metadata)) {
      const value = metadata[name];
      if (name === 'partitionKey' || name === '__key') key = value;
      else if (name === 'partitionNumber') partition = parsePartitionNumber(value, this.md.name);
      if (exclude?.test(name)) continue;
      headers[name] = value;
      size += Buffer.byteLength(name) + Buffer.byteLength(value);
    }
    const value = isJsonNull(data) ? null : toBuffer(data);
    size += (value?.length ?? 0) + (key ? Buffer.byteLength(key) : 0);
    if (size > this.settings.maxMessageBytes) {
      throw new MessageTooLargeError(this.md.name, topic, size, this.settings.maxMessageBytes, { limitOf: 'allowed (maxMessageBytes)' });
    }
    return { key, value, headers, partition };
  }

  private publishError(topic: string, record: Message, err: unknown): Error {
    const type = (err as { type?: string })?.type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
      const size = (record.value?.length ?? 0) as number;
      return new MessageTooLargeError(this.md.name, topic, size, undefined, { cause: err });
    }
    if (err instanceof Error) {
      err.message = `pubsub "${this.md.name}": publish to "${topic}" failed: ${err.message}`;
      return err;
    }
    return new Error(`pubsub "${this.md.name}": publish to "${topic}" failed: ${String(err)}`);
  }

  /** Creates the topic once per process when auto-creation is configured. */
  private ensureTopic(topic: string): Promise<void> {
    if (!this.settings.autoCreateTopics) return Promise.resolve();
    let pending = this.ensuredTopics.get(topic);
    if (!pending) {
      pending = (async () => {
        const admin = await this.adminClient();
        // Look first: creating an existing topic succeeds but makes kafkajs log an error line.
        if ((await admin.listTopics()).includes(topic)) return;
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic, numPartitions: this.settings.numPartitions, replicationFactor: this.settings.replicationFactor }],
        });
      })();
      pending.catch(() => this.ensuredTopics.delete(topic));
      this.ensuredTopics.set(topic, pending);
    }
    return pending;
  }

  private adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined));
    }
    return this.admin;
  }

}

/** The message-retry back-off (Dapr's backOff* settings, kit/retry defaults: constant 5 s). */
export function readBackoff(r: KafkaBackoffMetadata): RedeliveryBackoff {
  return {
    policy: r.backOffPolicy,
    durationMs: r.backOffDuration,
    initialIntervalMs: r.backOffInitialInterval,
    maxIntervalMs: r.backOffMaxInterval,
    multiplier: r.backOffMultiplier,
  };
}

function parsePartitionNumber(value: string, component: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw metadataError({ name: component, properties: {} }, 'partitionNumber', `"${value}" is not a partition number`);
  }
  return n;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function isJsonNull(data: Uint8Array): boolean {
  // Dapr writes a tombstone (null record value) for the payload `null`.
  return data.length === 4 && data[0] === 0x6e && data[1] === 0x75 && data[2] === 0x6c && data[3] === 0x6c;
}
