import { DaprError } from './dapr.error';

/**
 * A publish was refused because the message is larger than the broker, the
 * entity or the component's `maxMessageBytes` accepts. Nothing of it was
 * published. One error for every driver: `size` is the message's size and
 * `limit` the limit that refused it, each when known; `limitOf` says whose
 * limit it is, as it reads after the number: `allowed (maxMessageBytes)`,
 * `Service Bus accepts on this entity` (default: `the broker accepts`).
 */
export class MessageTooLargeError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly topic: string,
    readonly size: number | undefined,
    readonly limit: number | undefined,
    options?: { cause?: unknown; limitOf?: string },
  ) {
    const what = size !== undefined ? `is ${size} bytes` : 'is too large';
    const max =
      limit !== undefined
        ? `, more than the ${limit} bytes ${options?.limitOf ?? 'allowed'}`
        : `, larger than ${options?.limitOf ?? 'the broker accepts'}`;
    super(`pubsub "${pubsub}": message for topic "${topic}" ${what}${max}; nothing was published`, 'ERR_PUBSUB_PUBLISH_MESSAGE', options);
  }
}
