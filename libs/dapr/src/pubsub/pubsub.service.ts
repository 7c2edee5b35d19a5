import { Injectable, Optional } from '@nestjs/common';
import type { BulkPublishDriverResponse, PubSubDriver, PublishRequest } from '../spi/pubsub.spi';
import { DaprError } from '../errors/dapr.error';
import {
  PubSubEmptyNameError,
  PubSubEventsSerError,
  PubSubForbiddenError,
  PubSubNotFoundError,
  PubSubPublishError,
} from '../errors/pubsub.errors';
import { mapLimit } from '../operations/map-limit';
import type { OutboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { ComponentRuntime } from '../runtime/component-runtime';
import type { Span } from '@opentelemetry/api';
import type { DaprTracer } from '../observability/dapr-tracer';
import { encodeEvent, type EncodedEvent, type EnvelopeContext } from './cloud-event.codec';

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
  /** Topics whose scope check passed, with what every publish on them reuses. */
  topics: Map<string, PublishTopic>;
  /**
   * Dapr prefixes broker topics with the namespace when any metadata value of
   * the component uses `{namespace}` (namespace-scoped pub/sub); '' otherwise.
   */
  topicPrefix: string;
}

/** One topic of a pub/sub component as publishes see it, built on first use. */
interface PublishTopic {
  envelope: EnvelopeContext;
  /** The topic on the broker (namespace-prefixed for namespace-scoped components). */
  brokerTopic: string;
  /** A single publish: outbound policy, `pubsub/<topic>` producer span, `dapr_component_pubsub_egress_*`. */
  publish: OutboundOperation;
  /** A native bulk publish (one driver call under the outbound policy), `dapr_component_pubsub_egress_bulk_*`. */
  bulk: OutboundOperation<BulkProgress>;
  /** The fan-out of single publishes for drivers without native bulk: the bulk metrics only. */
  bulkFallback: OutboundOperation<BulkProgress>;
  /** One entry of that fan-out: outbound policy, in the entry's own producer span. */
  entry: OutboundOperation<Span>;
}

/** How far one bulk publish got, for its metrics. */
interface BulkProgress {
  count: number;
  published: number;
}

const BULK_PARALLELISM = 100;
const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Publishes events through the configured pub/sub components in Dapr's
 * CloudEvents 1.0 envelope (README "Publish and subscribe").
 * @publicApi
 */
@Injectable()
export class PubSubService {
  private readonly targets = new Map<string, PubSubTarget>();

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  async publish(pubsub: string, topic: string, data: unknown, options?: PublishOptions): Promise<void> {
    const target = this.targets.get(pubsub) ?? (await this.resolve(pubsub));
    const t = target.topics.get(topic) ?? this.topicContext(target, topic);
    // Encoded once, inside the producer span (its context is the CloudEvent's traceparent);
    // a retried attempt resends the same event.
    let req: PublishRequest | undefined;
    await this.runner.run(t.publish, undefined, (span) => {
      if (req === undefined) {
        const encoded = encodeEvent(t.envelope, data, options, span.spanContext());
        req = { topic: t.brokerTopic, data: encoded.bytes, metadata: options?.metadata ?? {}, contentType: encoded.contentType };
      }
      return target.driver.publish(req);
    });
  }

  async publishBulk(
    pubsub: string,
    topic: string,
    entries: BulkPublishEntry[],
    options?: PublishOptions,
  ): Promise<BulkPublishResponse> {
    const target = this.targets.get(pubsub) ?? (await this.resolve(pubsub));
    const t = target.topics.get(topic) ?? this.topicContext(target, topic);
    const requestMetadata = options?.metadata ?? NO_METADATA;
    // Every entry gets its own producer span (and so its own traceparent), as Dapr's bulk publish does.
    const spans = entries.map(() => this.runner.tracer.startProducerSpan(t.envelope));
    let encoded: { entryId: string; event: Uint8Array; contentType: string; metadata: Record<string, string> }[];
    try {
      encoded = encodeEntries(t.envelope, entries, requestMetadata, options, spans);
    } catch (err) {
      for (const span of spans) this.runner.tracer.endSpan(span, err);
      throw err;
    }
    const progress: BulkProgress = { count: encoded.length, published: 0 };
    if (target.bulkNative && target.driver.bulkPublish) {
      let res: BulkPublishDriverResponse;
      try {
        res = await this.runner.run(t.bulk, progress, async () => {
          const r = await target.driver.bulkPublish!({ topic: t.brokerTopic, entries: encoded, metadata: requestMetadata });
          progress.published = encoded.length - r.failedEntries.length;
          return r;
        });
      } catch (err) {
        const message = (err as Error).message;
        res = { failedEntries: encoded.map((e) => ({ entryId: e.entryId, error: message })) };
      }
      endEntrySpans(this.runner.tracer, spans, encoded, res);
      return res;
    }
    // Dapr's fallback: parallel single publishes (at most 100 at a time), each under the outbound
    // policy in its entry's span, per-entry errors; the bulk metrics count the whole call.
    const failedEntries: BulkPublishResponse['failedEntries'] = [];
    await this.runner.run(t.bulkFallback, progress, () =>
      mapLimit(encoded, BULK_PARALLELISM, async (e, i) => {
        const req: PublishRequest = { topic: t.brokerTopic, data: e.event, metadata: e.metadata, contentType: e.contentType };
        try {
          await this.runner.run(t.entry, spans[i], () => target.driver.publish(req));
          progress.published++;
        } catch (err) {
          failedEntries.push({ entryId: e.entryId, error: (err as Error).message });
        }
      }),
    );
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
      scopes: new TopicScopes(loaded.metadata.properties, this.runtime.appId, loaded.name),
      addExpiration: !features.includes('MESSAGE_TTL'),
      bulkNative: features.includes('BULK_PUBSUB'),
      properties: loaded.metadata.properties,
      outbound: this.resiliency?.policyFor({ kind: 'component', name: loaded.name, direction: 'outbound' }),
      topics: new Map(),
      topicPrefix: isNamespaceScoped(loaded.spec.metadata) ? (this.runtime.options.namespace ?? '') : '',
    };
    this.targets.set(pubsub, target);
    return target;
  }

  private topicContext(target: PubSubTarget, topic: string): PublishTopic {
    if (!topic) throw new PubSubEmptyNameError('topic');
    if (!target.scopes.canPublish(topic)) {
      throw new PubSubForbiddenError(target.name, topic, this.runtime.appId, 'publish');
    }
    const envelope: EnvelopeContext = {
      pubsub: target.name,
      topic,
      appId: this.runtime.appId,
      addExpiration: target.addExpiration,
      componentType: target.type,
      brokerTopic: target.topicPrefix ? target.topicPrefix + topic : undefined,
    };
    const { tracer, metrics } = this.runner;
    const toError = (err: unknown) => publishError(target.name, topic, err);
    // Dapr's BulkPubsubEgressEvent: success only when every entry went out; event_count counts those that did.
    const recordBulk = (error: Error | undefined, elapsedMs: number, p: BulkProgress) =>
      metrics.pubsubEgressBulk(target.name, topic, error === undefined && p.published === p.count, p.published, elapsedMs);
    const t: PublishTopic = {
      envelope,
      brokerTopic: envelope.brokerTopic ?? topic,
      publish: {
        policy: target.outbound,
        startSpan: () => tracer.startProducerSpan(envelope),
        record: (error, elapsedMs) => metrics.pubsubEgress(target.name, topic, error === undefined, elapsedMs),
        toError,
      },
      bulk: { policy: target.outbound, record: recordBulk, toError },
      bulkFallback: { record: recordBulk, toError },
      entry: { policy: target.outbound, startSpan: (span) => span, toError },
    };
    target.topics.set(topic, t);
    return t;
  }
}

function isNamespaceScoped(metadata: { value: unknown }[]): boolean {
  return metadata.some((m) => typeof m.value === 'string' && m.value.includes('{namespace}'));
}

function publishError(pubsub: string, topic: string, err: unknown): Error {
  if (err instanceof DaprError) return err;
  return new PubSubPublishError(pubsub, topic, (err as Error)?.message ?? String(err), { cause: err });
}


/** Encodes every entry (entry metadata over the request's, as Dapr copies request metadata into each entry). */
function encodeEntries(
  envelope: EnvelopeContext,
  entries: BulkPublishEntry[],
  requestMetadata: Record<string, string>,
  options: PublishOptions | undefined,
  spans: Span[],
): { entryId: string; event: Uint8Array; contentType: string; metadata: Record<string, string> }[] {
  const ids = new Set<string>();
  return entries.map((entry, i) => {
    const entryId = entry.entryId ?? String(i);
    if (ids.has(entryId)) throw new PubSubEventsSerError(`duplicate entryId "${entryId}" in bulk publish`);
    ids.add(entryId);
    const metadata = entry.metadata ? { ...requestMetadata, ...entry.metadata } : requestMetadata;
    const ev: EncodedEvent = encodeEvent(
      envelope,
      entry.event,
      {
        contentType: entry.contentType ?? options?.contentType,
        metadata,
        cloudEvent: options?.cloudEvent?.id ? { ...options.cloudEvent, id: undefined } : options?.cloudEvent,
      },
      spans[i].spanContext(),
    );
    return { entryId, event: ev.bytes, contentType: ev.contentType, metadata };
  });
}

/** Ends each entry's span, with the broker's error for the entries it refused. */
function endEntrySpans(tracer: DaprTracer, spans: Span[], encoded: { entryId: string }[], res: BulkPublishDriverResponse): void {
  const failed = new Map(res.failedEntries.map((f) => [f.entryId, f.error] as const));
  encoded.forEach((e, i) => {
    const error = failed.get(e.entryId);
    if (error === undefined) spans[i].end();
    else tracer.endSpan(spans[i], new Error(error));
  });
}
