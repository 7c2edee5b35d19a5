import { Injectable, Optional } from '@nestjs/common';
import type { PubSubDriver } from '../spi/pubsub.spi';
import { DaprError } from '../errors/dapr.error';
import {
  PubSubEmptyNameError,
  PubSubEventsSerError,
  PubSubForbiddenError,
  PubSubNotFoundError,
  PubSubPublishError,
} from '../errors/pubsub.errors';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { ComponentRuntime } from '../runtime/component-runtime';
import { DaprMetrics } from '../observability/dapr-metrics';
import { DaprTracer } from '../observability/dapr-tracer';
import { encodeEvent, type EnvelopeContext } from './cloud-event.codec';
import { componentPolicy } from './pubsub-policy';
import { ResiliencyService } from '../resiliency/resiliency.service';
import type { BulkPublishEntry, BulkPublishResponse, PublishOptions } from './pubsub.interfaces';
import { TopicScopes } from './topic-scopes';

/** One pub/sub component as the block sees it, resolved once. */
export interface PubSubTarget {
  name: string;
  type: string;
  driver: PubSubDriver;
  scopes: TopicScopes;
  /** False when the broker enforces TTL itself (feature MESSAGE_TTL). */
  addExpiration: boolean;
  bulkNative: boolean;
  properties: Record<string, string>;
  outbound?: ResiliencyPolicy;
  /** Envelope contexts per topic whose scope check passed, reused by every publish. */
  topics: Map<string, EnvelopeContext>;
  /**
   * Dapr prefixes broker topics with the namespace when any metadata value of
   * the component uses `{namespace}` (namespace-scoped pub/sub); '' otherwise.
   */
  topicPrefix: string;
}

const BULK_PARALLELISM = 100;

/**
 * Publishes events through the configured pub/sub components in Dapr's
 * CloudEvents 1.0 envelope (see API.md).
 * @publicApi
 */
@Injectable()
export class PubSubService {
  private readonly targets = new Map<string, PubSubTarget>();

  constructor(
    private readonly runtime: ComponentRuntime,
    @Optional() private readonly resiliency?: ResiliencyService,
    @Optional() private readonly tracer?: DaprTracer,
    @Optional() private readonly metrics?: DaprMetrics,
  ) {}

  async publish(pubsub: string, topic: string, data: unknown, options?: PublishOptions): Promise<void> {
    const target = this.targets.get(pubsub) ?? (await this.resolve(pubsub));
    const ctx = target.topics.get(topic) ?? this.topicContext(target, topic);
    const start = performance.now();
    // One producer span per publish; its context is the CloudEvent's traceparent.
    const span = this.tracer?.startProducerSpan(ctx);
    try {
      const encoded = encodeEvent(ctx, data, options, span?.spanContext());
      const req = {
        topic: ctx.brokerTopic ?? topic,
        data: encoded.bytes,
        metadata: options?.metadata ?? {},
        contentType: encoded.contentType,
      };
      if (target.outbound) await target.outbound.execute(() => target.driver.publish(req));
      else await target.driver.publish(req);
    } catch (err) {
      const error = publishError(target.name, topic, err);
      if (span) this.tracer!.endSpan(span, error);
      this.metrics?.pubsubEgress(target.name, topic, false, performance.now() - start);
      throw error;
    }
    span?.end();
    this.metrics?.pubsubEgress(target.name, topic, true, performance.now() - start);
  }

  async publishBulk(
    pubsub: string,
    topic: string,
    entries: BulkPublishEntry[],
    options?: PublishOptions,
  ): Promise<BulkPublishResponse> {
    const target = this.targets.get(pubsub) ?? (await this.resolve(pubsub));
    const ctx = target.topics.get(topic) ?? this.topicContext(target, topic);
    const requestMetadata = options?.metadata ?? {};
    const ids = new Set<string>();
    const encoded = entries.map((entry, i) => {
      const entryId = entry.entryId ?? String(i);
      if (ids.has(entryId)) throw new PubSubEventsSerError(`duplicate entryId "${entryId}" in bulk publish`);
      ids.add(entryId);
      // Entry metadata overrides the request's (Dapr copies request metadata into each entry).
      const metadata = entry.metadata ? { ...requestMetadata, ...entry.metadata } : requestMetadata;
      const ev = encodeEvent(ctx, entry.event, {
        contentType: entry.contentType ?? options?.contentType,
        metadata,
        cloudEvent: options?.cloudEvent?.id ? { ...options.cloudEvent, id: undefined } : options?.cloudEvent,
      });
      return { entryId, event: ev.bytes, contentType: ev.contentType, metadata };
    });
    if (target.bulkNative && target.driver.bulkPublish) {
      try {
        return await target.driver.bulkPublish({ topic: ctx.brokerTopic ?? topic, entries: encoded, metadata: requestMetadata });
      } catch (err) {
        const message = (publishError(target.name, topic, err) as Error).message;
        return { failedEntries: encoded.map((e) => ({ entryId: e.entryId, error: message })) };
      }
    }
    // Dapr's fallback: parallel single publishes (at most 100 at a time), per-entry errors.
    const failedEntries: BulkPublishResponse['failedEntries'] = [];
    let next = 0;
    const worker = async () => {
      while (next < encoded.length) {
        const e = encoded[next++];
        try {
          await target.driver.publish({
            topic: ctx.brokerTopic ?? topic,
            data: e.event,
            metadata: e.metadata,
            contentType: e.contentType,
          });
        } catch (err) {
          failedEntries.push({ entryId: e.entryId, error: (publishError(target.name, topic, err) as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BULK_PARALLELISM, encoded.length) }, worker));
    return { failedEntries };
  }

  /** The resolved component (used by the subscriber side too); throws PubSubNotFoundError. */
  async target(pubsub: string): Promise<PubSubTarget> {
    return this.targets.get(pubsub) ?? this.resolve(pubsub);
  }

  private async resolve(pubsub: string): Promise<PubSubTarget> {
    if (!pubsub) throw new PubSubEmptyNameError('pubsub');
    await this.runtime.start();
    const loaded = this.runtime.find<PubSubDriver>('pubsub', pubsub);
    if (!loaded) throw new PubSubNotFoundError(pubsub, this.runtime.names('pubsub'));
    const features = loaded.driver.features();
    const target: PubSubTarget = {
      name: loaded.name,
      type: loaded.type,
      driver: loaded.driver,
      scopes: new TopicScopes(loaded.metadata.properties, this.runtime.appId),
      addExpiration: !features.includes('MESSAGE_TTL'),
      bulkNative: features.includes('BULK_PUBSUB'),
      properties: loaded.metadata.properties,
      outbound: componentPolicy(this.resiliency, loaded.name, 'outbound'),
      topics: new Map(),
      topicPrefix: isNamespaceScoped(loaded.spec.metadata) ? (this.runtime.options.namespace ?? '') : '',
    };
    this.targets.set(pubsub, target);
    return target;
  }

  private topicContext(target: PubSubTarget, topic: string): EnvelopeContext {
    if (!topic) throw new PubSubEmptyNameError('topic');
    if (!target.scopes.canPublish(topic)) {
      throw new PubSubForbiddenError(target.name, topic, this.runtime.appId, 'publish');
    }
    const ctx: EnvelopeContext = {
      pubsub: target.name,
      topic,
      appId: this.runtime.appId,
      addExpiration: target.addExpiration,
      componentType: target.type,
      brokerTopic: target.topicPrefix ? target.topicPrefix + topic : undefined,
    };
    target.topics.set(topic, ctx);
    return ctx;
  }
}

function isNamespaceScoped(metadata: { value: unknown }[]): boolean {
  return metadata.some((m) => typeof m.value === 'string' && m.value.includes('{namespace}'));
}

function publishError(pubsub: string, topic: string, err: unknown): Error {
  if (err instanceof DaprError) return err;
  return new PubSubPublishError(pubsub, topic, (err as Error)?.message ?? String(err), { cause: err });
}

