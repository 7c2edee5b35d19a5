import { DaprError } from './dapr.error';

/** Publishing to (or subscribing on) a pub/sub component that is not configured. */
export class PubSubNotFoundError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly known: string[],
  ) {
    super(
      `pubsub "${pubsub}" is not configured; known pubsubs: ${known.length ? known.join(', ') : '(none)'}`,
      known.length ? 'ERR_PUBSUB_NOT_FOUND' : 'ERR_PUBSUB_NOT_CONFIGURED',
    );
  }
}

/** An empty pubsub name or topic name (Dapr's ERR_PUBSUB_EMPTY / ERR_TOPIC_NAME_EMPTY). */
export class PubSubEmptyNameError extends DaprError {
  constructor(what: 'pubsub' | 'topic') {
    super(
      what === 'pubsub' ? 'pubsub name is empty' : 'topic name is empty',
      what === 'pubsub' ? 'ERR_PUBSUB_EMPTY' : 'ERR_TOPIC_NAME_EMPTY',
    );
  }
}

/** The component's scopes (publishingScopes, allowedTopics, protectedTopics...) deny the topic. */
export class PubSubForbiddenError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly topic: string,
    readonly appId: string,
    readonly operation: 'publish' | 'subscribe',
  ) {
    super(
      `topic "${topic}" is not allowed for app id "${appId}" to ${operation} on pubsub "${pubsub}"`,
      'ERR_PUBSUB_FORBIDDEN',
    );
  }
}

/** Bad publish metadata (`rawPayload` that is not a boolean, a bad `ttlInSeconds`...). */
export class PubSubMetadataError extends DaprError {
  /** Input the app gave: another attempt would be refused the same way. */
  readonly nonRetriable = true;
  constructor(message: string) {
    super(message, 'ERR_PUBSUB_REQUEST_METADATA');
  }
}

/** The CloudEvent could not be built, e.g. invalid JSON with `application/cloudevents+json`. */
export class PubSubCloudEventError extends DaprError {
  /** Input the app gave: another attempt would be refused the same way. */
  readonly nonRetriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_PUBSUB_CLOUD_EVENTS_SER', options);
  }
}

/** A bulk publish entry that cannot be serialised, or a missing / duplicate entryId. */
export class PubSubEventsSerError extends DaprError {
  /** Input the app gave: another attempt would be refused the same way. */
  readonly nonRetriable = true;
  constructor(message: string) {
    super(message, 'ERR_PUBSUB_EVENTS_SER');
  }
}

/** The broker refused or failed the publish. */
export class PubSubPublishError extends DaprError {
  constructor(
    readonly pubsub: string,
    readonly topic: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`error when publishing to topic ${topic} in pubsub ${pubsub}: ${reason}`, 'ERR_PUBSUB_PUBLISH_MESSAGE', options);
  }
}

/** Invalid `@Subscribe` / Subscription configuration (bad CEL, conflicting handlers...). */
export class SubscriptionConfigError extends DaprError {
  constructor(message: string) {
    super(message, 'ERR_PUBSUB_SUBSCRIPTION');
  }
}

/**
 * A delivered message that cannot be read as a CloudEvent: not JSON, not an
 * object, an attribute of the wrong type (`data_base64` that is not a base64
 * string...), or larger than `limits.maxBodySize`. It fails the same way
 * every time, so it is never retried: it goes to the dead-letter topic, or is
 * dropped with an error log.
 */
export class MalformedCloudEventError extends DaprError {
  readonly nonRetriable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_PUBSUB_CLOUD_EVENTS_SER', options);
  }
}
