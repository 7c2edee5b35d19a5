import { BaseRpcContext } from '@nestjs/microservices';
import type { CloudEvent } from '../pubsub/pubsub.interfaces';

/** A `@MessagePattern` request as it arrived over service invocation. */
export interface DaprRequestInfo {
  /** The invocation method (`quote`, `cmd=quote`). */
  method: string;
  /** Request headers, lower-case (`dapr-caller-app-id` is present only when the caller proved it). */
  headers: Record<string, string | string[] | undefined>;
}

export type DaprContextArgs = [CloudEvent | undefined, DaprRequestInfo | undefined];

/**
 * `@Ctx()` of a `DaprTransport` handler. For an `@EventPattern` delivery it
 * carries the CloudEvent (with the broker metadata of the delivery); for a
 * `@MessagePattern` request, the invocation's method and headers.
 */
export class DaprContext extends BaseRpcContext<DaprContextArgs> {
  constructor(args: DaprContextArgs) {
    super(args);
  }

  /** The whole CloudEvent (`id`, `type`, `source`, `time`, `traceparent`, …) of an event delivery. */
  getCloudEvent<T = unknown>(): CloudEvent<T> | undefined {
    return this.args[0] as CloudEvent<T> | undefined;
  }

  /** The topic the event was delivered on (for a request: the invocation method). */
  getTopic(): string {
    return this.args[0]?.topic ?? this.args[1]?.method ?? '';
  }

  /** The pub/sub component the event came through ('' for a request). */
  getPubsubName(): string {
    return this.args[0]?.pubsubname ?? '';
  }

  /** Broker metadata of the delivery (`__key`, `__partition`, `metadata.MessageId`, …), or the request's headers. */
  getMetadata(): Record<string, string> {
    const event = this.args[0];
    if (event) return event.metadata ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.args[1]?.headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  }

  /** The app id of the caller of a request, when it proved it (Dapr's `dapr-caller-app-id`). */
  getCallerAppId(): string | undefined {
    const v = this.args[1]?.headers['dapr-caller-app-id'];
    return Array.isArray(v) ? v[0] : v;
  }
}
