import type { Provider } from '@nestjs/common';
import { PubSubExplorer } from './pubsub.explorer';
import { PubSubService } from './pubsub.service';
import { PubSubSubscriber } from './pubsub.subscriber';

/** The pub/sub block's providers for DaprModule. */
export const pubsubProviders: Provider[] = [PubSubService, PubSubExplorer, PubSubSubscriber];

export const pubsubExports = [PubSubService, PubSubSubscriber];
