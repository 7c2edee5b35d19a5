import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { MissingMetadataError } from '../../errors/component-config.error';
import { BindingRequestError } from '../../errors/bindings.errors';
import type { InputBindingDriver, InputBindingHandler, InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { DeliveryOutcome, PubSubMessage } from '../../spi/pubsub.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { KAFKA_BINDING_METADATA } from './kafka.metadata';
import { readBackoff } from './kafka.pubsub';
import { Fnv1aPartitioner } from './fnv1a.partitioner';
import { parseKafkaConnection, type KafkaConnectionSettings } from './kafka-connection';
import { openKafkaClient, type KafkaClient, type KafkaJs } from './kafka-client';
import { createRangeAssigner } from './range.assigner';
import { KafkaTopicSubscription, type RedeliveryBackoff } from './kafka.subscription';

const OPERATIONS = ['create'] as const;

/**
 * `bindings.kafka`: input from `topics` (comma separated) in `consumerGroup`,
 * output `create` to `publishTopic` (request metadata `topic` overrides it).
 * Request metadata `partitionKey` / `__key` becomes the record key (sarama's
 * FNV-1a placement) and every metadata entry a header, as in the pub/sub
 * component. Input events carry `__key`, `__offset`, `__topic`,
 * `__partition`, `__timestamp` and the headers. A failing handler leaves the
 * record uncommitted and redelivers it in place after `backOffDuration` —
 * nothing is skipped (Dapr's binding, with consumeRetryEnabled=false, would).
 */
export class KafkaBinding implements InputBindingDriver, OutputBindingDriver {
  private md!: ComponentMetadata;
  private settings!: KafkaConnectionSettings;
  private kafkajs!: KafkaJs;
  private kafka!: Kafka;
  private client?: KafkaClient;
  private producer?: Producer;
  private logger!: Logger;
  private topics: string[] = [];
  private publishTopic?: string;
  private consumerGroup?: string;
  private readonly subscriptions = new Set<KafkaTopicSubscription>();

  async init(md: ComponentMetadata): Promise<void> {
    this.md = md;
    const m = decodeMetadata(KAFKA_BINDING_METADATA, md);
    this.settings = parseKafkaConnection(md);
    this.logger = new Logger(`bindings.kafka/${md.name}`);
    this.topics = m.topics ?? [];
    this.publishTopic = m.publishTopic || undefined;
    this.consumerGroup = m.consumerGroup || undefined;
    if (this.topics.length && !this.consumerGroup) throw new MissingMetadataError(md.name, 'consumerGroup');
    if (!this.topics.length && !this.publishTopic) throw new MissingMetadataError(md.name, 'topics or publishTopic');
    this.client = await openKafkaClient(md.type, this.settings, this.logger);
    this.kafkajs = this.client.kafkajs;
    this.kafka = this.client.kafka;
    if (this.publishTopic) {
      this.producer = this.kafka.producer({
        createPartitioner: Fnv1aPartitioner,
        allowAutoTopicCreation: true,
        maxInFlightRequests: 1,
        retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 5 },
      });
      await this.producer.connect();
    }
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return this.producer ? OPERATIONS : [];
  }

  async ping(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    if (req.operation.toLowerCase() !== 'create' || !this.producer) {
      throw new BindingRequestError(this.md.name, req.operation, `unsupported operation; supported: ${this.operations().join(', ') || '(none)'}`);
    }
    const topic = req.metadata.topic || this.publishTopic!;
    const headers: IHeaders = {};
    let key: string | undefined;
    for (const [k, v] of Object.entries(req.metadata)) {
      if (k === 'partitionKey' || k === '__key') key = v;
      if (k === 'topic') continue;
      if (this.settings.excludeHeaderMetaRegex?.test(k)) continue;
      headers[k] = v;
    }
    await this.producer.send({
      topic,
      acks: this.settings.acks,
      compression: this.client!.compression,
      messages: [{ key, value: req.data ? Buffer.from(req.data) : null, headers }],
    });
    return {};
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    if (!this.topics.length) return async () => undefined;
    const r = decodeMetadata(KAFKA_BINDING_METADATA, this.md);
    const backoff: RedeliveryBackoff = readBackoff(r);
    const fromBeginning = r.initialOffset === 'oldest';
    const onMessage = async (m: PubSubMessage): Promise<DeliveryOutcome> => {
      await handler({ data: m.data, metadata: m.metadata });
      return 'SUCCESS';
    };
    const subs = this.topics.map(
      (topic) =>
        new KafkaTopicSubscription({
          kafka: this.kafka,
          settings: this.settings,
          topic,
          groupId: this.consumerGroup!,
          fromBeginning,
          partitionsConsumedConcurrently: r.partitionsConsumedConcurrently,
          backoff,
          assigner: createRangeAssigner(this.kafkajs.AssignerProtocol),
          handler: onMessage,
          logger: this.logger,
          joinTimeoutMs: Math.max(15_000, this.settings.sessionTimeoutMs),
        }),
    );
    for (const s of subs) this.subscriptions.add(s);
    await Promise.all(subs.map((s) => s.start()));
    return async () => {
      await Promise.allSettled(subs.map((s) => s.stop()));
      for (const s of subs) this.subscriptions.delete(s);
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
    await this.client?.close();
  }
}
