import type { DynamicModule } from '@nestjs/common';
import { DaprModule } from '../dapr.module';
import type { DaprModuleOptions } from '../runtime/dapr-module-options.interface';
import { PubSubSubscriber } from '../pubsub/pubsub.subscriber';

/**
 * The sidecar's Nest context: DaprModule itself (runtime, components,
 * resiliency, observability and every block's service), with one change —
 * the block's subscriber, which binds `@Subscribe` methods and Subscription
 * resources to handlers in this process, is replaced by an inert one: here
 * the handlers live in another process and the sidecar's AppSubscriber feeds
 * the same delivery pipeline with app-channel handlers instead.
 */
export function sidecarModule(options: DaprModuleOptions): DynamicModule {
  const base = DaprModule.forRoot({ ...options, isGlobal: true });
  const inertSubscriber = { list: () => [] };
  return {
    ...base,
    // Provided after DaprModule's own providers, so this one replaces PubSubSubscriber.
    providers: [...(base.providers ?? []), { provide: PubSubSubscriber, useValue: inertSubscriber }],
  };
}
