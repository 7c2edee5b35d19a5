import { DaprError } from './dapr.error';

/**
 * A publish was refused because the record is larger than the broker (or the
 * component's `maxMessageBytes`) accepts. Nothing was written.
 */
export class MessageTooLargeError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly topic: string,
    readonly size: number,
    readonly limit: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      limit !== undefined
        ? `pubsub "${pubsub}": message for topic "${topic}" is ${size} bytes, more than the ${limit} bytes allowed (maxMessageBytes); nothing was published`
        : `pubsub "${pubsub}": message for topic "${topic}" (${size} bytes) is larger than the broker accepts; nothing was published`,
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      options,
    );
  }
}
