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
 * stops them first at shutdown: intake stops, in-flight handlers finish
 * (bounded by DRAIN_TIMEOUT_MS), then the runtime closes the drivers.
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
    const groups = new Map<string, SubscriptionHandler[]>();
    const handlers = [
      ...this.explorer.exploreDeclarative(this.runtime.resourcesOf('Subscription')),
      ...this.explorer.explore(),
    ];
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
    try {
      for (const sub of built) {
        const target = await this.pubsub.target(sub.config.pubsub);
        // Case-insensitive, as the drivers read it (the declared runtime field).
        const consumerID = runtimePubSubMetadata(sub.config.pubsub, target.properties).consumerID || this.runtime.appId;
        await sub.start(consumerID);
        this.subscriptions.push(sub);
        this.logger.log(`subscribed to ${sub.config.pubsub}/${sub.config.topic} as consumer ${consumerID}`);
      }
    } catch (err) {
      await this.beforeApplicationShutdown();
      throw err;
    }
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
    });
    for (const h of handlers) sub.router.add(h, h.options.match, h.describe);
    return sub;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subs = this.subscriptions.splice(0);
    await Promise.all(
      subs.map((s) =>
        s.stop().catch((err: Error) => this.logger.warn(`stopping ${s.config.pubsub}/${s.config.topic}: ${err.message}`)),
      ),
    );
    const drained = await Promise.all(subs.map((s) => s.drain(DRAIN_TIMEOUT_MS)));
    subs.forEach((s, i) => {
      if (!drained[i]) {
        this.logger.warn(
          `${s.inFlight} handler(s) of ${s.config.pubsub}/${s.config.topic} still running after ${DRAIN_TIMEOUT_MS} ms; closing anyway (they will be redelivered)`,
        );
      }
    });
  }
}

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
