/** Metadata key `@Subscribe` writes on the handler method (a list: one method may subscribe several times). */
export const DAPR_SUBSCRIBE_METADATA = 'dapr:subscribe';
/** Context type of the ExecutionContext guards and interceptors receive for deliveries. */
export const DAPR_CONTEXT_TYPE = 'dapr';
/** CloudEvent `type` of a normal publish. */
export const CLOUD_EVENT_TYPE = 'com.dapr.event.sent';
export const CLOUD_EVENT_SPEC_VERSION = '1.0';
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
