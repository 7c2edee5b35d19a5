export { PubSubService } from './pubsub.service';
export { Subscribe } from './subscribe.decorator';
export { SubscriptionStatus, DropEvent } from './subscription-status';
export type { CloudEvent, PublishOptions, BulkPublishEntry, BulkPublishResponse, SubscribeOptions } from './pubsub.interfaces';
export { DAPR_SUBSCRIBE_METADATA } from './pubsub.constants';
export { PubSubSubscriber } from './pubsub.subscriber';
