import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SubscriptionConfigError } from '../errors/pubsub.errors';
import { DRAIN_TIMEOUT_MS } from '../handlers/drain';
import { inboundPolicyFor } from '../handlers/inbound-policy';
import { OperationRunner } from '../operations/operation-runner';
import { ComponentRuntime } from '../runtime/component-runtime';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { PubSubExplorer, type SubscriptionHandler } from './pubsub.explorer';
import { PubSubService } from './pubsub.service';
import { TopicSubscription } from './topic-subscription';
import { runtimePubSubMetadata } from './topic-scopes';

export { DRAIN_TIMEOUT_MS };

/**
 * Starts the app's subscriptions once the application has bootstrapped and
 * stops them first at shutdown: intake stops, in-flight handlers finish, then
 * the runtime closes the drivers. The whole stop is bounded by
 * `limits.drainTimeoutMs`: a driver's stop() waits for its running handlers,
 * so it is raced against the timeout rather than awaited first, and when the
 * time is up the deliveries still running are abandoned (given back to their
 * driver as RETRY, so the broker redelivers them) and the drivers finish
 * stopping at once.
 */
@Injectable()
export class PubSubSubscriber implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dapr');
  private readonly subscriptions: TopicSubscription[] = [];

  constructor(
    private readonly explorer: PubSubExplorer,
    private readonly pubsub: PubSubService,
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  /** The running subscriptions (read-only view, for health and tests). */
  list(): readonly TopicSubscription[] {
    return this.subscriptions;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
    await this.start([...this.explorer.exploreDeclarative(this.runtime.resourcesOf('Subscription')), ...this.explorer.explore()]);
  }

  /**
   * Subscribes handlers through the one delivery pipeline: grouped per
   * pubsub/topic, scopes checked, consumer group = the component's
   * `consumerID` or the app id. `@Subscribe` methods come here at bootstrap,
   * the microservices transport's `@EventPattern` handlers when it listens.
   * The subscriptions started are drained at shutdown with the others; a
   * caller may stop its own earlier with `stop`.
   */
  async start(handlers: SubscriptionHandler[]): Promise<TopicSubscription[]> {
    const groups = new Map<string, SubscriptionHandler[]>();
    for (const h of handlers) {
      const key = `${h.options.pubsub}\u0000${h.options.topic}`;
      const list = groups.get(key);
      if (list) list.push(h);
      else groups.set(key, [h]);
    }
    const built: TopicSubscription[] = [];
    for (const handlers of groups.values()) {
      const sub = await this.build(handlers);
      if (sub) built.push(sub);
    }
    const started: TopicSubscription[] = [];
    try {
      for (const sub of built) {
        const target = await this.pubsub.target(sub.config.pubsub);
        // Case-insensitive, as the drivers read it (the declared runtime field).
        const consumerID = runtimePubSubMetadata(sub.config.pubsub, target.properties).consumerID || this.runtime.appId;
        await sub.start(consumerID);
        this.subscriptions.push(sub);
        started.push(sub);
        this.logger.log(`subscribed to ${sub.config.pubsub}/${sub.config.topic} as consumer ${consumerID}`);
      }
    } catch (err) {
      await this.stop(started);
      throw err;
    }
    return started;
  }

  private async build(handlers: SubscriptionHandler[]): Promise<TopicSubscription | undefined> {
    const { pubsub, topic } = handlers[0].options;
    if (!topic) throw new SubscriptionConfigError(`${handlers[0].describe}: @Subscribe needs a topic`);
    const target = await this.pubsub.target(pubsub);
    if (!target.scopes.canSubscribe(topic)) {
      // Dapr does not create a subscription its scopes deny.
      this.logger.warn(
        `app "${this.runtime.appId}" is not allowed to subscribe to topic "${topic}" on pubsub "${pubsub}"; ${handlers
          .map((h) => h.describe)
          .join(', ')} will not receive events`,
      );
      return undefined;
    }
    const deadLetterTopic = agree(handlers, 'deadLetterTopic', (h) => h.options.deadLetterTopic);
    const metadata: Record<string, string> = {};
    for (const h of handlers) Object.assign(metadata, h.options.metadata);
    const sub: TopicSubscription = new TopicSubscription({
      pubsub,
      topic,
      deadLetterTopic,
      topicPrefix: target.topicPrefix,
      metadata,
      driver: target.driver,
      inbound: inboundPolicyFor(this.resiliency, pubsub, () => sub.stopping),
      componentType: target.type,
      runner: this.runner,
      maxMessageBytes: this.runtime.limits.maxBodyBytes,
      handlerTimeoutMs: this.runtime.limits.handlerTimeoutMs,
    });
    for (const h of handlers) sub.router.add(h, h.options.match, h.describe);
    return sub;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop(this.subscriptions.slice());
  }

  /**
   * Stops these subscriptions: intake stops and in-flight handlers finish,
   * together bounded by the drain timeout; deliveries still running then are
   * given back for redelivery.
   */
  async stop(list: readonly TopicSubscription[]): Promise<void> {
    const subs = list.filter((s) => this.subscriptions.includes(s));
    if (subs.length === 0) return;
    for (const s of subs) this.subscriptions.splice(this.subscriptions.indexOf(s), 1);
    const drainMs = this.runtime.limits.drainTimeoutMs;
    const stopped = subs.map((s) =>
      s.stop().catch((err: Error) => this.logger.warn(`stopping ${s.config.pubsub}/${s.config.topic}: ${err.message}`)),
    );
    // Intake stops and in-flight handlers finish together; neither may take longer than the drain timeout.
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainMs)));
    const finished = Promise.all([...stopped, ...subs.map((s) => s.drain(drainMs))]).then(() => true as const);
    const inTime = await Promise.race([finished, timeUp]);
    clearTimeout(timer);
    if (inTime) return;
    for (const s of subs) {
      if (s.inFlight > 0) {
        this.logger.warn(
          `${s.inFlight} handler(s) of ${s.config.pubsub}/${s.config.topic} still running after ${drainMs} ms; ` +
            `giving their messages back for redelivery and closing anyway`,
        );
      }
      s.abandon();
    }
    // Abandoned deliveries settle at once, so drivers finish stopping quickly; never wait long for one that does not.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(stopped), new Promise<void>((resolve) => (grace = setTimeout(resolve, ABANDON_GRACE_MS)))]);
    clearTimeout(grace);
  }
}

/** How long drivers get to stop once their deliveries were abandoned. */
const ABANDON_GRACE_MS = 1_000;

function agree(
  handlers: SubscriptionHandler[],
  field: string,
  pick: (h: SubscriptionHandler) => string | undefined,
): string | undefined {
  let value: string | undefined;
  for (const h of handlers) {
    const v = pick(h);
    if (v === undefined) continue;
    if (value !== undefined && v !== value) {
      throw new SubscriptionConfigError(
        `handlers of ${h.options.pubsub}/${h.options.topic} disagree on ${field} ("${value}" vs "${v}" on ${h.describe})`,
      );
    }
    value = v;
  }
  return value;
}
