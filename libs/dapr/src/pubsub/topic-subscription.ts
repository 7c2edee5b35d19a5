import { Logger } from '@nestjs/common';
import { isRefusal } from '../handlers/handler-binder';
import type { PubSubProcessStatus } from '../observability/dapr-metrics';
import type { MessagingSpanTarget } from '../observability/dapr-tracer';
import type { InboundOperation } from '../operations/operation';
import type { OperationRunner } from '../operations/operation-runner';
import type { DeliveryOutcome, PubSubDriver, PubSubMessage, SubscriptionHandle } from '../spi/pubsub.spi';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { MalformedCloudEventError } from '../errors/pubsub.errors';
import { HandlerTimeoutError } from '../errors/subscription.errors';
import { decodeDelivery, isExpired, parseBoolMetadata, payloadOf } from './cloud-event.codec';
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
  /** Larger messages are not decoded: dead-letter topic, else dropped (limits.maxBodySize). */
  maxMessageBytes?: number;
  /** One handler run longer than this fails with HandlerTimeoutError (limits.handlerTimeoutMs). */
  handlerTimeoutMs?: number;
}

const ABANDONED: DeliveryOutcome = 'RETRY';

const PROCESS_STATUS: Record<DeliveryOutcome, PubSubProcessStatus> = { SUCCESS: 'success', RETRY: 'retry', DROP: 'drop' };

/**
 * The delivery pipeline of one topic, shared by every driver: decode the
 * CloudEvent, drop expired events, route with CEL, validate the payload, run
 * the handler under the inbound resiliency policy, map its outcome, and
 * dead-letter. Nothing is lost silently: without a dead-letter topic a failed
 * message goes back to the driver as RETRY.
 *
 * Bad input never stalls a topic: a message that cannot be decoded (or is
 * larger than the limit) fails the same way every time, so it goes to the
 * dead-letter topic or is dropped with an ERROR log naming it and counted in
 * `nest_dapr_pubsub_undecodable_total` — never retried. A handler run longer
 * than the handler timeout counts as failed, and at shutdown deliveries still
 * running when the drain timeout ends are given back to the driver as RETRY
 * (`abandon`), so its stop never waits on a hung handler.
 */
export class TopicSubscription {
  private readonly logger = new Logger('Dapr');
  readonly router: SubscriptionRouter<SubscriptionHandler>;
  private readonly rawPayload: boolean;
  private inflight = 0;
  private idle?: () => void;
  private abandoned = false;
  /**
   * The resolvers of the promises handed to the driver for deliveries in flight,
   * so `abandon()` can settle them. (Not Promise.race against one shared
   * never-settling promise: every race would leave a reaction on it for ever.)
   */
  private readonly unsettled = new Set<(outcome: DeliveryOutcome) => void>();
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
      // `||`: Dapr's outbox events carry the trace in `traceid` with an empty `traceparent`.
      startSpan: (event) => tracer.startConsumerSpan(spanTarget, event.traceparent || event.traceid, event.tracestate),
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

  /**
   * Gives every delivery still running back to its driver as RETRY (not
   * acked: redelivered later) so the driver can stop; what the handlers do
   * afterwards is ignored. Called by the subscriber when the drain timeout ends.
   */
  abandon(): void {
    this.abandoned = true;
    for (const settle of this.unsettled) settle(ABANDONED);
    this.unsettled.clear();
  }

  /** The driver's handler (an arrow function so drivers can call it unbound). */
  readonly deliver = (msg: PubSubMessage): Promise<DeliveryOutcome> => {
    if (this.abandoned) return Promise.resolve(ABANDONED);
    this.inflight++;
    // Ingress is counted per settled message (whatever settled it: handler, expiry, routing, dead-letter).
    const metrics = this.config.runner.metrics;
    const metered = metrics.active;
    const start = metered ? performance.now() : 0;
    // The promise the driver waits on is made here, so abandon() can settle it without the handler.
    return new Promise<DeliveryOutcome>((resolve, reject) => {
      this.unsettled.add(resolve);
      this.process(msg).then(
        (outcome) => {
          this.settled(resolve);
          if (metered) metrics.pubsubIngress(this.config.pubsub, this.config.topic, PROCESS_STATUS[outcome], performance.now() - start);
          resolve(outcome);
        },
        (err: unknown) => {
          this.settled(resolve);
          reject(err);
        },
      );
    });
  };

  private settled(resolve: (outcome: DeliveryOutcome) => void): void {
    this.unsettled.delete(resolve);
    if (--this.inflight === 0 && this.idle) this.idle();
  }

  private async process(msg: PubSubMessage): Promise<DeliveryOutcome> {
    const { topic, pubsub } = this.config;
    let event: CloudEvent;
    try {
      const limit = this.config.maxMessageBytes;
      const size = msg.data?.byteLength;
      if (typeof size !== 'number') throw new MalformedCloudEventError('the driver delivered no message bytes');
      if (limit !== undefined && size > limit) {
        throw new MalformedCloudEventError(`message is ${size} bytes, more than limits.maxBodySize (${limit} bytes)`);
      }
      event = decodeDelivery(msg.data, msg.metadata, msg.contentType, topic, pubsub, this.rawPayload);
    } catch (err) {
      if (!(err instanceof MalformedCloudEventError)) throw err;
      return this.undecodable(msg, err);
    }
    if (isExpired(event, Date.now())) {
      this.logger.warn(`dropping expired event ${event.id} on topic ${topic} (expiration ${event.expiration})`);
      return this.deadLetterOr(msg, 'DROP');
    }
    let handler: SubscriptionHandler | undefined;
    try {
      handler = this.router.route(event);
    } catch (err) {
      if (err instanceof RouteEvaluationError) {
        this.logger.warn(`event ${event.id} on topic ${topic}: ${err.message}`);
        return this.deadLetterOr(msg, 'RETRY');
      }
      // Anything else (a stack overflow on a pathological event...) fails the same way on every delivery.
      return this.undecodable(msg, new MalformedCloudEventError(`routing the event failed: ${(err as Error)?.message ?? err}`));
    }
    if (handler === undefined) {
      this.logger.debug?.(`event ${event.id} on topic ${topic} matched no route; dropped`);
      return this.deadLetterOr(msg, 'DROP');
    }
    let data = payloadOf(event, this.rawPayload);
    if (handler.validate) {
      let result: ReturnType<NonNullable<SubscriptionHandler['validate']>>;
      try {
        result = handler.validate(data);
      } catch (err) {
        // A validator that throws on this payload will throw on every delivery: treat it as invalid.
        result = { ok: false, reason: `validation failed: ${(err as Error)?.message ?? err}` };
      }
      if (!result.ok) {
        this.logger.warn(`invalid payload for ${handler.describe} (event ${event.id}, topic ${topic}): ${result.reason}`);
        return this.deadLetterOr(msg, 'DROP');
      }
      data = result.value;
    }
    const timeoutMs = this.config.handlerTimeoutMs;
    const attempt = timeoutMs === undefined ? () => invokeOnce(handler, data, event) : () => withTimeout(invokeOnce(handler, data, event), timeoutMs, handler.describe);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.config.runner.deliver(this.delivery, event, attempt);
    } catch (err) {
      this.logger.warn(
        `handler ${handler.describe} failed for event ${event.id} on topic ${topic}: ${(err as Error)?.message ?? err}`,
      );
      outcome = 'RETRY';
    }
    if (outcome === 'SUCCESS') return outcome;
    return this.deadLetterOr(msg, outcome);
  }

  /** A message that can never be handled: dead-letter it, else drop it loudly; either way the topic moves on. */
  private async undecodable(msg: PubSubMessage, err: MalformedCloudEventError): Promise<DeliveryOutcome> {
    const { pubsub, topic, deadLetterTopic } = this.config;
    const reason = /limits\.maxBodySize/.test(err.message) ? 'too_large' : 'malformed';
    this.config.runner.metrics.pubsubUndecodable(pubsub, topic, reason);
    this.logger.error(
      `undecodable message on pubsub ${pubsub} topic ${topic} (${whereIs(msg)}): ${err.message}; ` +
        (deadLetterTopic ? `sent to dead-letter topic ${deadLetterTopic}` : 'dropped (no dead-letter topic)'),
    );
    return this.deadLetterOr(msg, 'DROP');
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
  const md = (msg.metadata ?? {}) as Record<string, unknown>;
  return String(msg.id ?? md.id ?? md['metadata.MessageId'] ?? md.__offset ?? '(unknown)');
}

/** Where a message sits on its broker, for an operator to find it: partition/offset, stream id, or message id. */
function whereIs(msg: PubSubMessage): string {
  const md = (msg.metadata ?? {}) as Record<string, unknown>;
  if (typeof md.__partition === 'string' && typeof md.__offset === 'string') return `partition ${md.__partition}, offset ${md.__offset}`;
  return `message id ${messageIdOf(msg)}`;
}

/** Fails the run after `ms`; the handler itself cannot be stopped and its late result is ignored. */
function withTimeout<T>(run: Promise<T>, ms: number, describe: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(timeUp, ms, reject, describe, ms);
    run.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function timeUp(reject: (err: Error) => void, describe: string, ms: number): void {
  reject(new HandlerTimeoutError(describe, ms));
}
