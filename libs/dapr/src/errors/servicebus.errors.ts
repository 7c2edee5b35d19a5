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
