import { ComponentConfigError } from './component-config.error';
import { DaprError } from './dapr.error';

/**
 * A Service Bus connection string that lacks a part the SDK needs. The message
 * names the missing part and the component, never the string itself: it holds
 * the shared access key.
 */
export class ServiceBusConnectionStringError extends ComponentConfigError {
  constructor(
    component: string,
    readonly missing: string,
  ) {
    super(
      `component "${component}": metadata "connectionString" is malformed: ${missing} (the value is not shown because it contains a key)`,
      undefined,
      component,
      'connectionString',
    );
  }
}

/**
 * A message (or one bulk entry) larger than the entity accepts. Nothing of it
 * was sent. `limit` is the sender link's max-message-size when known.
 */
export class ServiceBusMessageTooLargeError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly topic: string,
    readonly size: number | undefined,
    readonly limit: number | undefined,
    options?: { cause?: unknown },
  ) {
    const what = size !== undefined ? `is ${size} bytes` : 'is too large';
    const max = limit !== undefined ? `, more than the ${limit} bytes Service Bus accepts on this entity` : ' for Service Bus';
    super(
      `pubsub "${pubsub}": message for topic "${topic}" ${what}${max}; nothing was published`,
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      options,
    );
  }
}

/** Publish metadata Service Bus cannot carry (bad `ttlInSeconds`, `ScheduledEnqueueTimeUtc`...). */
export class ServiceBusPublishMetadataError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly field: string,
    problem: string,
  ) {
    super(`pubsub "${pubsub}": publish metadata "${field}" ${problem}`, 'ERR_PUBSUB_REQUEST_METADATA');
  }
}
