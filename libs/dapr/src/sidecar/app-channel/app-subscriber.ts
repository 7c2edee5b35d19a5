import { Logger } from '@nestjs/common';
import { inboundPolicyFor } from '../../handlers/inbound-policy';
import type { OperationRunner } from '../../operations/operation-runner';
import type { SubscriptionHandler } from '../../pubsub/pubsub.explorer';
import type { CloudEvent } from '../../pubsub/pubsub.interfaces';
import type { PubSubService } from '../../pubsub/pubsub.service';
import { SubscriptionStatus } from '../../pubsub/subscription-status';
import { TopicSubscription } from '../../pubsub/topic-subscription';
import type { ResiliencyService } from '../../resiliency/resiliency.service';
import type { AppChannel, AppEventStatus } from './app-channel';
import type { AppSubscription } from './app-subscription';
import { BulkBatcher } from './bulk-batcher';

export interface AppSubscriberDeps {
  appId: string;
  channel: AppChannel;
  pubsub: PubSubService;
  resiliency?: ResiliencyService;
  runner: OperationRunner;
}

/** A subscription as the metadata API lists it. */
export interface ActiveSubscription {
  spec: AppSubscription;
  topic: TopicSubscription;
}

const OUTCOME: Record<AppEventStatus, SubscriptionStatus | undefined> = {
  SUCCESS: undefined,
  RETRY: SubscriptionStatus.RETRY,
  DROP: SubscriptionStatus.DROP,
};

/**
 * Runs the app's subscriptions through the library's own delivery pipeline
 * (`TopicSubscription`: CloudEvent decoding, expiry, CEL routing, inbound
 * resiliency, dead-lettering). Only the last step differs from an in-process
 * app: each route's handler POSTs the event to the app over the app channel
 * and turns the app's answer into SUCCESS / RETRY / DROP.
 */
export class AppSubscriber {
  private readonly logger = new Logger('DaprSidecar');
  private readonly active: ActiveSubscription[] = [];
  private readonly batchers: BulkBatcher[] = [];
  private stopped = false;

  constructor(private readonly deps: AppSubscriberDeps) {}

  list(): readonly ActiveSubscription[] {
    return this.active;
  }

  /** Builds and starts one TopicSubscription per pubsub/topic; the first subscription of a topic wins. */
  async start(subscriptions: AppSubscription[]): Promise<void> {
    const byTopic = new Map<string, AppSubscription>();
    for (const s of subscriptions) {
      const key = `${s.pubsubname}\u0000${s.topic}`;
      const existing = byTopic.get(key);
      if (existing) {
        this.logger.warn(`ignoring ${s.type.toLowerCase()} subscription to ${s.pubsubname}/${s.topic}: a ${existing.type.toLowerCase()} one exists`);
        continue;
      }
      byTopic.set(key, s);
    }
    for (const spec of byTopic.values()) {
      if (this.stopped) return;
      // One broken subscription (bad metadata, bad CEL, broker refusal) is logged and skipped, as daprd does.
      try {
        const topic = await this.build(spec);
        if (!topic) continue;
        const target = await this.deps.pubsub.target(spec.pubsubname);
        const consumerID = target.properties.consumerID || this.deps.appId;
        await topic.start(consumerID);
        this.active.push({ spec, topic });
        this.logger.log(`subscribed to ${spec.pubsubname}/${spec.topic} as consumer ${consumerID} → app ${spec.routes.map((r) => r.path).join(', ')}`);
      } catch (err) {
        this.logger.error(`failed to subscribe to ${spec.pubsubname}/${spec.topic}: ${(err as Error).message}`);
      }
    }
  }

  private async build(spec: AppSubscription): Promise<TopicSubscription | undefined> {
    let target;
    try {
      target = await this.deps.pubsub.target(spec.pubsubname);
    } catch (err) {
      this.logger.warn(`subscription to ${spec.pubsubname}/${spec.topic}: ${(err as Error).message}`);
      return undefined;
    }
    if (!target.scopes.canSubscribe(spec.topic)) {
      this.logger.warn(`app "${this.deps.appId}" is not allowed to subscribe to topic "${spec.topic}" on pubsub "${spec.pubsubname}"`);
      return undefined;
    }
    const sub: TopicSubscription = new TopicSubscription({
      pubsub: spec.pubsubname,
      topic: spec.topic,
      deadLetterTopic: spec.deadLetterTopic,
      topicPrefix: target.topicPrefix,
      metadata: spec.metadata,
      driver: target.driver,
      inbound: inboundPolicyFor(this.deps.resiliency, spec.pubsubname, () => sub.stopping),
      componentType: target.type,
      runner: this.deps.runner,
    });
    for (const route of spec.routes) sub.router.add(this.handlerFor(spec, route.path), route.match, `route ${route.path}`);
    return sub;
  }

  private handlerFor(spec: AppSubscription, path: string): SubscriptionHandler {
    const { channel } = this.deps;
    const describe = `app route ${path}`;
    const options = { pubsub: spec.pubsubname, topic: spec.topic, deadLetterTopic: spec.deadLetterTopic, metadata: spec.metadata };
    if (spec.bulkSubscribe?.enabled) {
      const raw = spec.metadata.rawPayload === 'true';
      const batcher = new BulkBatcher(
        { path, pubsub: spec.pubsubname, topic: spec.topic, maxMessagesCount: spec.bulkSubscribe.maxMessagesCount ?? 100, maxAwaitDurationMs: spec.bulkSubscribe.maxAwaitDurationMs ?? 1000 },
        (delivery) => channel.deliverBulk(delivery),
      );
      this.batchers.push(batcher);
      return {
        options,
        describe,
        invoke: async (_data: unknown, event: CloudEvent) => OUTCOME[await batcher.add(event, raw)],
      };
    }
    return {
      options,
      describe,
      invoke: async (_data: unknown, event: CloudEvent) => {
        const status = await channel.deliverEvent({
          path,
          event: cloudEventFields(event),
          metadata: event.metadata ?? {},
          pubsub: spec.pubsubname,
          topic: spec.topic,
          traceparent: typeof event.traceparent === 'string' ? event.traceparent : typeof event.traceid === 'string' ? event.traceid : undefined,
          tracestate: typeof event.tracestate === 'string' ? event.tracestate : undefined,
        });
        return OUTCOME[status];
      },
    };
  }

  /** Stops intake on every topic and waits (up to `timeoutMs`) for deliveries in flight. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    const subs = this.active.splice(0);
    await Promise.all(subs.map((s) => s.topic.stop().catch((err: Error) => this.logger.warn(`stopping ${s.spec.pubsubname}/${s.spec.topic}: ${err.message}`))));
    for (const b of this.batchers) b.flushNow();
    const drained = await Promise.all(subs.map((s) => s.topic.drain(timeoutMs)));
    subs.forEach((s, i) => {
      if (!drained[i]) this.logger.warn(`${s.topic.inFlight} deliveries of ${s.spec.pubsubname}/${s.spec.topic} still running after ${timeoutMs} ms; they will be redelivered`);
    });
    for (const b of this.batchers) b.close();
  }
}

/** The CloudEvent as the app receives it: the event's own fields, without the broker metadata the pipeline attached. */
export function cloudEventFields(event: CloudEvent): Record<string, unknown> {
  const { metadata: _metadata, ...fields } = event;
  return fields;
}
