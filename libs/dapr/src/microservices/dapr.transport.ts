import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { TopicSubscription } from '../pubsub/topic-subscription';
import { MicroserviceConfigError } from '../errors/microservices.errors';
import { RETHROW, type ParamsFactory } from '../handlers/handler-binder';
import type { DiscoveredHandler } from '../handlers/handler-explorer';
import {
  PATTERN_EXTRAS_METADATA,
  PATTERN_HANDLER_EVENT,
  PATTERN_HANDLER_MESSAGE,
  PATTERN_HANDLER_METADATA,
  PATTERN_METADATA,
  RPC_PARAM_CONTEXT,
  RPC_PARAM_PAYLOAD,
  TRANSPORT_METADATA,
} from '../handlers/nest-internals';
import type { SubscriptionHandler } from '../pubsub/pubsub.explorer';
import type { CloudEvent } from '../pubsub/pubsub.interfaces';
import { isDropEvent, SubscriptionStatus } from '../pubsub/subscription-status';
import { DaprContext } from './dapr.context';
import { MessageEndpoint, type MessageRoute } from './message-endpoint';
import { awaitHost, type MicroservicesHost } from './microservices-host';
import { methodPathOf, topicOf } from './pattern-names';

/** `transportId` of `DaprTransport`, for `@EventPattern(pattern, DAPR_TRANSPORT)` in an app with several transports. */
export const DAPR_TRANSPORT: unique symbol = Symbol('DAPR_TRANSPORT');

/** @publicApi */
export interface DaprTransportOptions {
  /** The pub/sub component `@EventPattern('topic')` subscribes through (a `{ pubsub, topic }` pattern names its own). */
  pubsub?: string;
  /**
   * Where a message goes once the resiliency policy gave up (or a pipe refused
   * it): one topic for every pattern, or a topic per pattern. An
   * `@EventPattern(topic, { deadLetterTopic })` extra wins. Without one a
   * failed message is redelivered, never dropped.
   */
  deadLetterTopic?: string | ((topic: string) => string | undefined);
  /** Subscription metadata for every topic (`rawPayload`, component subscribe options). */
  metadata?: Record<string, string>;
}

/** What `@EventPattern(pattern, extras)` may add for this transport. */
interface EventExtras {
  deadLetterTopic?: string;
  match?: string;
  metadata?: Record<string, string>;
}

interface PatternMeta {
  kind: number;
  patterns: unknown[];
  extras: Record<string, unknown>;
  transport?: unknown;
}

/** `@Payload(prop?)` and `@Ctx()` of a handler: the delivery's data (or one property of it) and its DaprContext. */
const RPC_PARAMS: ParamsFactory = {
  exchangeKeyForValue: (type, data, args) => {
    if (type === RPC_PARAM_CONTEXT) return args[1];
    if (type !== RPC_PARAM_PAYLOAD) return undefined;
    const payload = args[0] as Record<string, unknown> | undefined;
    return typeof data === 'string' && payload !== null && typeof payload === 'object' ? payload[data] : payload;
  },
};

/** A `DropEvent` thrown by an event handler is an outcome (DROP), not an error for exception filters. */
const dropResult = (err: unknown): unknown => (isDropEvent(err) ? SubscriptionStatus.DROP : RETHROW);

function patternMetaOf(method: object): PatternMeta | undefined {
  const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
  if (!patterns) return undefined;
  return {
    kind: Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) as number,
    patterns,
    extras: (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as Record<string, unknown> | undefined) ?? {},
    transport: Reflect.getMetadata(TRANSPORT_METADATA, method) as unknown,
  };
}

/**
 * `@nestjs/microservices` on Dapr components: a `CustomTransportStrategy` for
 * `NestFactory.createMicroservice(AppModule, { strategy: new DaprTransport({ pubsub }) })`
 * or a hybrid app's `connectMicroservice({ strategy })`. The app imports
 * `DaprModule`; the broker is whatever its pub/sub component is.
 *
 * `@EventPattern(topic)` handlers are subscribed through the library's one
 * delivery pipeline (as `@Subscribe`): CloudEvents, consumer group = app id,
 * the component's inbound resiliency policy, dead-letter topic, `DropEvent`,
 * at-least-once, drained on close. `@MessagePattern(pattern)` handlers answer
 * service invocation of method `patternName(pattern)` (`ClientDapr.send`).
 * Both run through the handler binder: guards, interceptors, `@Payload()`
 * pipes and exception filters as for any Nest handler, with `@Ctx()` a `DaprContext`.
 */
export class DaprTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = DAPR_TRANSPORT;
  private host?: MicroservicesHost;
  private subscriptions: TopicSubscription[] = [];
  private endpoint?: MessageEndpoint;
  private listening = false;

  constructor(readonly options: DaprTransportOptions = {}) {
    super();
    // DaprModule attaches the app's services when Nest registers this transport in the app's container.
    awaitHost(this, (host) => (this.host = host));
  }

  async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    try {
      await this.start();
      this.listening = true;
      callback();
    } catch (err) {
      await this.close().catch(() => undefined);
      callback(err);
    }
  }

  private async start(): Promise<void> {
    const host = this.host;
    if (!host) {
      throw new MicroserviceConfigError(
        'DaprTransport found no DaprModule in this application: import DaprModule.forRoot({ appId, ... }) in the module passed to createMicroservice / NestFactory.create',
      );
    }
    await host.runtime.start();
    const events: SubscriptionHandler[] = [];
    const messages: MessageRoute[] = [];
    for (const h of host.explorer.explore('@EventPattern/@MessagePattern', patternMetaOf)) {
      // `@EventPattern(pattern, Transport.KAFKA)` belongs to another transport of a hybrid app.
      if (h.meta.transport !== undefined && h.meta.transport !== this.transportId) continue;
      if (h.meta.kind === PATTERN_HANDLER_EVENT) events.push(...this.eventHandlers(host, h));
      else if (h.meta.kind === PATTERN_HANDLER_MESSAGE) messages.push(...this.messageRoutes(host, h));
    }
    this.subscriptions = await host.subscriber.start(events);
    if (messages.length > 0) {
      this.endpoint = new MessageEndpoint(host);
      await this.endpoint.start(messages);
    }
  }

  private eventHandlers(host: MicroservicesHost, h: DiscoveredHandler<PatternMeta>): SubscriptionHandler[] {
    const bound = host.binder.bindRoute(h, RPC_PARAMS, 'rpc', dropResult);
    const invoke = (data: unknown, event: CloudEvent) => bound(data, new DaprContext([event, undefined]));
    const extras = h.meta.extras as EventExtras;
    return h.meta.patterns.map((pattern) => {
      const { pubsub, topic } = topicOf(pattern, this.options.pubsub, h.describe);
      const dlq = this.options.deadLetterTopic;
      return {
        options: {
          pubsub,
          topic,
          deadLetterTopic: extras.deadLetterTopic ?? (typeof dlq === 'function' ? dlq(topic) : dlq),
          match: extras.match,
          metadata: { ...this.options.metadata, ...extras.metadata },
        },
        describe: h.describe,
        invoke,
      };
    });
  }

  private messageRoutes(host: MicroservicesHost, h: DiscoveredHandler<PatternMeta>): MessageRoute[] {
    const invoke = host.binder.bindRoute(h, RPC_PARAMS, 'rpc');
    return h.meta.patterns.map((pattern) => {
      const path = methodPathOf(pattern);
      return { path, method: path.slice(1), describe: h.describe, invoke };
    });
  }

  /** Stops intake and drains in-flight deliveries and requests (limits.drainTimeoutMs); app.close() calls it. */
  async close(): Promise<void> {
    const host = this.host;
    const subs = this.subscriptions;
    this.subscriptions = [];
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    if (!host) return;
    await Promise.all([host.subscriber.stop(subs), endpoint?.close(host.runtime.limits.drainTimeoutMs)]);
    this.listening = false;
  }

  /** Nest's status events are not emitted by this transport (its state is the components'). */
  on(): never {
    throw new MicroserviceConfigError('DaprTransport emits no events; see DaprHealthService for component readiness');
  }

  /** The running subscriptions (Nest's `unwrap()` gives the transport's underlying client; here that is the delivery pipeline). */
  unwrap<T>(): T {
    if (!this.host || !this.listening) throw new MicroserviceConfigError('DaprTransport is not listening');
    return this.subscriptions as T;
  }
}
