import { Logger } from '@nestjs/common';
import { isRefusal } from '../handlers/handler-binder';
import type { PubSubProcessStatus } from '../observability/dapr-metrics';
import type { MessagingSpanTarget } from '../observability/dapr-tracer';
import type { InboundOperation } from '../operations/operation';
import type { OperationRunner } from '../operations/operation-runner';
import type { DeliveryOutcome, PubSubDriver, PubSubMessage, SubscriptionHandle } from '../spi/pubsub.spi';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { decodeDelivery, isExpired, MalformedCloudEventError, parseBoolMetadata, payloadOf } from './cloud-event.codec';
import type { SubscriptionHandler } from './pubsub.explorer';
import type { CloudEvent } from './pubsub.interfaces';
import { RouteEvaluationError, SubscriptionRouter } from './subscription-router';
import { isDropEvent, SubscriptionStatus } from './subscription-status';

/** Thrown inside the retry policy when a handler asks for a retry without throwing. */
class RetryRequested extends Error {
  constructor() {
    super('handler returned SubscriptionStatus.RETRY');
  }
}

export interface TopicSubscriptionConfig {
  pubsub: string;
  topic: string;
  deadLetterTopic?: string;
  /** Namespace prefix of broker topics (namespace-scoped components), '' otherwise. */
  topicPrefix?: string;
  metadata: Record<string, string>;
  driver: PubSubDriver;
  inbound: ResiliencyPolicy;
  componentType?: string;
  /** Runs each delivery: inbound policy, `pubsub/<topic>` consumer span; ingress metrics by outcome. */
  runner: OperationRunner;
}

const PROCESS_STATUS: Record<DeliveryOutcome, PubSubProcessStatus> = { SUCCESS: 'success', RETRY: 'retry', DROP: 'drop' };

/**
 * The delivery pipeline of one topic, shared by every driver: decode the
 * CloudEvent, drop expired events, route with CEL, validate the payload, run
 * the handler under the inbound resiliency policy, map its outcome, and
 * dead-letter. Nothing is lost silently: without a dead-letter topic a failed
 * message goes back to the driver as RETRY.
 */
export class TopicSubscription {
  private readonly logger = new Logger('Dapr');
  readonly router: SubscriptionRouter<SubscriptionHandler>;
  private readonly rawPayload: boolean;
  private inflight = 0;
  private idle?: () => void;
  private handle?: SubscriptionHandle;
  /** A delivery to a handler: the inbound policy, a consumer span parented on the CloudEvent's trace context. */
  private readonly delivery: InboundOperation<CloudEvent>;

  constructor(readonly config: TopicSubscriptionConfig) {
    this.router = new SubscriptionRouter(`subscription ${config.pubsub}/${config.topic}`);
    this.rawPayload = parseBoolMetadata('rawPayload', config.metadata.rawPayload);
    const spanTarget: MessagingSpanTarget = { pubsub: config.pubsub, topic: config.topic, componentType: config.componentType };
    const tracer = config.runner.tracer;
    this.delivery = {
      policy: config.inbound,
      startSpan: (event) => tracer.startConsumerSpan(spanTarget, event.traceparent ?? event.traceid, event.tracestate),
    };
  }

  get inFlight(): number {
    return this.inflight;
  }

  async start(consumerID: string): Promise<void> {
    const metadata = { consumerID, ...this.config.metadata };
    const topic = (this.config.topicPrefix ?? '') + this.config.topic;
    this.handle = await this.config.driver.subscribe({ topic, metadata }, this.deliver);
  }

  /** True once intake stopped: retries in flight stop waiting and give the message back. */
  stopping = false;

  /** Stops intake; in-flight deliveries keep running. */
  async stop(): Promise<void> {
    this.stopping = true;
    const h = this.handle;
    this.handle = undefined;
    await h?.stop();
  }

  /** Resolves once no delivery is in flight, or after `timeoutMs`. Returns true when drained. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = undefined;
        resolve(false);
      }, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        this.idle = undefined;
        resolve(true);
      };
    });
  }

  /** The driver's handler (an arrow function so drivers can call it unbound). */
  readonly deliver = async (msg: PubSubMessage): Promise<DeliveryOutcome> => {
    this.inflight++;
    // Ingress is counted per settled message (whatever settled it: handler, expiry, routing, dead-letter).
    const metrics = this.config.runner.metrics;
    const metered = metrics.active;
    const start = metered ? performance.now() : 0;
    try {
      const outcome = await this.process(msg);
      if (metered) metrics.pubsubIngress(this.config.pubsub, this.config.topic, PROCESS_STATUS[outcome], performance.now() - start);
      return outcome;
    } finally {
      if (--this.inflight === 0 && this.idle) this.idle();
    }
  };

  private async process(msg: PubSubMessage): Promise<DeliveryOutcome> {
    const { topic, pubsub } = this.config;
    let event: CloudEvent;
    try {
      event = decodeDelivery(msg.data, msg.metadata, msg.contentType, topic, pubsub, this.rawPayload);
    } catch (err) {
      if (!(err instanceof MalformedCloudEventError)) throw err;
      this.logger.warn(`malformed CloudEvent on topic ${topic} (pubsub ${pubsub}, message id ${messageIdOf(msg)}): ${err.message}`);
      return this.deadLetterOr(msg, 'RETRY');
    }
    if (isExpired(event, Date.now())) {
      this.logger.warn(`dropping expired event ${event.id} on topic ${topic} (expiration ${event.expiration})`);
      return this.deadLetterOr(msg, 'DROP');
    }
    let handler: SubscriptionHandler | undefined;
    try {
      handler = this.router.route(event);
    } catch (err) {
      if (!(err instanceof RouteEvaluationError)) throw err;
      this.logger.warn(`event ${event.id} on topic ${topic}: ${err.message}`);
      return this.deadLetterOr(msg, 'RETRY');
    }
    if (handler === undefined) {
      this.logger.debug?.(`event ${event.id} on topic ${topic} matched no route; dropped`);
      return this.deadLetterOr(msg, 'DROP');
    }
    let data = payloadOf(event, this.rawPayload);
    if (handler.validate) {
      const result = handler.validate(data);
      if (!result.ok) {
        this.logger.warn(`invalid payload for ${handler.describe} (event ${event.id}, topic ${topic}): ${result.reason}`);
        return this.deadLetterOr(msg, 'DROP');
      }
      data = result.value;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.config.runner.deliver(this.delivery, event, () => invokeOnce(handler, data, event));
    } catch (err) {
      this.logger.warn(
        `handler ${handler.describe} failed for event ${event.id} on topic ${topic}: ${(err as Error)?.message ?? err}`,
      );
      outcome = 'RETRY';
    }
    if (outcome === 'SUCCESS') return outcome;
    return this.deadLetterOr(msg, outcome);
  }

  /**
   * With a dead-letter topic: publish the original bytes and metadata there and
   * settle the message (DROP = ack). Without one: the fallback outcome.
   */
  private async deadLetterOr(msg: PubSubMessage, fallback: DeliveryOutcome): Promise<DeliveryOutcome> {
    const dlq = this.config.deadLetterTopic;
    if (!dlq) return fallback;
    try {
      await this.config.driver.publish({
        topic: (this.config.topicPrefix ?? '') + dlq,
        data: msg.data,
        metadata: msg.metadata,
        contentType: msg.contentType,
      });
      return 'DROP';
    } catch (err) {
      this.logger.error(
        `cannot publish message ${messageIdOf(msg)} of topic ${this.config.topic} to dead-letter topic ${dlq}: ${(err as Error).message}; it will be redelivered`,
      );
      return 'RETRY';
    }
  }
}

async function invokeOnce(handler: SubscriptionHandler, data: unknown, event: CloudEvent): Promise<DeliveryOutcome> {
  let result: unknown;
  try {
    result = await handler.invoke(data, event);
  } catch (err) {
    // Deterministic refusals are never retried: a pipe that rejects the payload
    // or a guard that denies the delivery would refuse it again. Both drop (to the DLQ if set).
    if (isDropEvent(err) || isRefusal(err)) return 'DROP';
    throw err;
  }
  if (result === undefined || result === null || result === SubscriptionStatus.SUCCESS) return 'SUCCESS';
  const status = typeof result === 'string' ? result : (result as { status?: unknown }).status;
  if (status === SubscriptionStatus.DROP) return 'DROP';
  if (status === SubscriptionStatus.RETRY) throw new RetryRequested();
  return 'SUCCESS';
}

function messageIdOf(msg: PubSubMessage): string {
  return msg.id ?? msg.metadata.id ?? msg.metadata['metadata.MessageId'] ?? msg.metadata.__offset ?? '(unknown)';
}
