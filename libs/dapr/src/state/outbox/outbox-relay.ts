import { Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { inboundPolicyFor } from '../../handlers/inbound-policy';
import type { OutboundOperation } from '../../operations/operation';
import { OperationRunner } from '../../operations/operation-runner';
import { CLOUDEVENTS_CONTENT_TYPE } from '../../pubsub/pubsub.constants';
import type { SubscriptionHandler } from '../../pubsub/pubsub.explorer';
import type { CloudEvent } from '../../pubsub/pubsub.interfaces';
import { PubSubService } from '../../pubsub/pubsub.service';
import { SubscriptionStatus } from '../../pubsub/subscription-status';
import { runtimePubSubMetadata } from '../../pubsub/topic-scopes';
import { TopicSubscription } from '../../pubsub/topic-subscription';
import { ResiliencyService } from '../../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../../runtime/component-runtime';
import type { StateGetResponse, StateStoreDriver } from '../../spi/state.spi';
import { StateService } from '../state.service';
import { OutboxCommits, pause } from './outbox-commits';
import { outboxInternalTopic, type OutboxConfig } from './outbox-config';
import { outboxStores } from './outbox-check';

/** Dapr's `defaultStateScanDelay`: the first look for the marker waits this long. */
const STATE_SCAN_DELAY_MS = 1000;
/** Dapr's backoff while the marker is missing: 500 ms × 3 up to 3 s, for at most 10 s, ±10 %. */
const BACKOFF = { initialMs: 500, maxMs: 3000, multiplier: 3, maxElapsedMs: 10_000, jitter: 0.1 };

/** The marker never appeared: the message goes back to the broker (not retried in place). */
class OutboxStateMissingError extends Error {
  readonly nonRetriable = true;
}

/**
 * The background half of Dapr's outbox (`SubscribeToInternalTopics`): one
 * subscription per outbox state store to its internal topic
 * `<namespace><appId><outboxPublishTopic>outbox` on `outboxPubsub`, through the
 * library's delivery pipeline. For each internal message it looks for the
 * marker key the message names (the transaction committed iff it exists):
 * found, it publishes the event to `outboxPublishTopic` on
 * `outboxPublishPubsub` (the same CloudEvent, `topic` and `pubsubname`
 * rewritten) and deletes the marker; missing after Dapr's wait, the message is
 * redelivered later, or dropped with `outboxDiscardWhenMissingState`.
 * A crash after the publish and before the delete publishes the event again
 * on redelivery: delivery is at least once, as in Dapr.
 *
 * It runs wherever the state block runs in-process, including `nest-dapr run`;
 * an app in sidecar mode leaves it to its sidecar.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DaprOutbox');
  private readonly subscriptions: TopicSubscription[] = [];

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly pubsub: PubSubService,
    private readonly runner: OperationRunner,
    private readonly commits: OutboxCommits,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  /** The running internal subscriptions (for health and tests). */
  list(): readonly TopicSubscription[] {
    return this.subscriptions;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(this.moduleRef.get(StateService, { strict: false }) instanceof StateService)) return;
    await this.runtime.start();
    const stores = outboxStores(this.runtime);
    try {
      for (const { loaded, config } of stores) await this.start(loaded, config);
    } catch (err) {
      await this.beforeApplicationShutdown();
      throw err;
    }
  }

  private async start(store: LoadedComponent<StateStoreDriver>, config: OutboxConfig): Promise<void> {
    const topic = outboxInternalTopic(this.runtime.appId, config.publishTopic, this.runtime.options.namespace);
    const target = await this.pubsub.target(config.outboxPubsub);
    const sub: TopicSubscription = new TopicSubscription({
      pubsub: target.name,
      topic,
      topicPrefix: target.topicPrefix,
      metadata: {},
      driver: target.driver,
      inbound: inboundPolicyFor(this.resiliency, target.name, () => sub.stopping),
      componentType: target.type,
      runner: this.runner,
      maxMessageBytes: this.runtime.limits.maxBodyBytes,
    });
    sub.router.add(this.handler(store, config, topic, () => sub.stopping), undefined, `outbox of ${store.name}`);
    const consumerID = runtimePubSubMetadata(target.name, target.properties).consumerID || this.runtime.appId;
    await sub.start(consumerID);
    this.subscriptions.push(sub);
    this.logger.log(
      `outbox of state store ${store.name}: relaying ${target.name}/${topic} to ${config.publishPubsub}/${config.publishTopic}`,
    );
  }

  private handler(store: LoadedComponent<StateStoreDriver>, config: OutboxConfig, topic: string, stopping: () => boolean): SubscriptionHandler {
    const markers = markerOperations(store, this.runner);
    const driver = store.driver;
    const exists = async (key: string) => {
      const res: StateGetResponse | undefined = await this.runner.run(markers.get, undefined, () => driver.get({ key, metadata: {} }));
      return res !== undefined && res.data !== undefined && res.data.byteLength > 0;
    };
    const relay = async (_data: unknown, event: CloudEvent): Promise<unknown> => {
      const key = event.id;
      if (typeof key !== 'string' || key === '') {
        this.logger.error(`outbox message without an id on ${config.outboxPubsub}/${topic}; dropped`);
        return SubscriptionStatus.DROP;
      }
      let found = await exists(key);
      if (!found) {
        // The transaction may not have committed yet. When it ran in this process, its outcome says when to look.
        const local = await this.commits.outcome(key, STATE_SCAN_DELAY_MS, stopping);
        if (local === 'failed') {
          // This process saw the transaction fail: one look, and without a marker it never committed.
          const seen = await exists(key).catch(() => undefined);
          if (seen === false) return SubscriptionStatus.DROP;
          found = seen === true || (await retryUntil(() => exists(key), stopping));
        } else {
          found = await retryUntil(() => exists(key), stopping);
        }
      }
      if (!found) {
        if (config.discardWhenMissingState) {
          this.logger.error(`failed to publish outbox topic to pubsub ${config.publishPubsub}: outbox state ${key} not found, discarding message`);
          return SubscriptionStatus.DROP;
        }
        throw new OutboxStateMissingError(
          `cannot publish outbox message to topic ${config.publishTopic} with pubsub ${config.publishPubsub}: outbox state not found; rejecting for later processing`,
        );
      }
      await this.pubsub.publish(config.publishPubsub, config.publishTopic, eventFields(event, config), {
        contentType: CLOUDEVENTS_CONTENT_TYPE,
      });
      await this.runner.run(markers.delete, undefined, () => retryCall(() => driver.delete({ key, metadata: {} }), stopping));
      return SubscriptionStatus.SUCCESS;
    };
    return { options: { pubsub: config.outboxPubsub, topic }, describe: `outbox relay of state store ${store.name}`, invoke: relay };
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subs = this.subscriptions.splice(0);
    if (subs.length === 0) return;
    await Promise.all(subs.map((s) => s.stop().catch((err: Error) => this.logger.warn(`stopping ${s.config.topic}: ${err.message}`))));
    const drained = await Promise.all(subs.map((s) => s.drain(this.runtime.limits.drainTimeoutMs)));
    subs.forEach((s, i) => {
      // Whatever is still running is given back to the broker and redelivered.
      if (!drained[i]) s.abandon();
    });
  }
}

/**
 * The CloudEvent to publish: the internal one without the broker metadata, on the user's topic.
 * Its trace fields are left to the publish, which stamps the relay's producer span: a span of the
 * transaction's trace (the relay's delivery continues it), so subscribers join that trace under the
 * publish. Dapr republishes the transaction's `traceid` with an empty `traceparent` instead.
 */
function eventFields(event: CloudEvent, config: OutboxConfig): Record<string, unknown> {
  const { metadata: _metadata, traceid: _traceid, traceparent: _traceparent, ...fields } = event;
  fields.topic = config.publishTopic;
  fields.pubsubname = config.publishPubsub;
  return fields;
}

/** The marker reads and deletes as state operations of the store (`state/<store>/get|delete` spans, Dapr's metrics). */
function markerOperations(store: LoadedComponent, runner: OperationRunner): { get: OutboundOperation; delete: OutboundOperation } {
  const { tracer, metrics } = runner;
  const op = (label: string): OutboundOperation => ({
    startSpan: () => tracer.startStateSpan(store.name, label),
    record: (error, elapsedMs) => metrics.stateOperation(store.name, label, error === undefined, elapsedMs),
    toError: (err) => (err instanceof Error ? err : new Error(String(err))),
  });
  return { get: op('get'), delete: op('delete') };
}

/** Dapr's exponential backoff over `check` (errors count as "not yet"); true once it passes. */
async function retryUntil(check: () => Promise<boolean>, stopping: () => boolean): Promise<boolean> {
  const start = Date.now();
  let interval = BACKOFF.initialMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      /* a failed read is retried like a missing marker */
    }
    const wait = interval * (1 + BACKOFF.jitter * (Math.random() * 2 - 1));
    if (stopping() || Date.now() - start + wait > BACKOFF.maxElapsedMs) return false;
    await pause(wait, stopping);
    interval = Math.min(interval * BACKOFF.multiplier, BACKOFF.maxMs);
  }
}

/** Runs `call` under the same backoff until it succeeds; the last error is thrown. */
async function retryCall(call: () => Promise<void>, stopping: () => boolean): Promise<void> {
  let last: unknown;
  const ok = await retryUntil(async () => {
    try {
      await call();
      return true;
    } catch (err) {
      last = err;
      throw err;
    }
  }, stopping);
  if (!ok) throw last;
}
