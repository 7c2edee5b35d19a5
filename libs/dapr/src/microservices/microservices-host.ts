import { Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { DaprHandlerBinder } from '../handlers/handler-binder';
import { DaprHandlerExplorer } from '../handlers/handler-explorer';
import { InvocationAccessGuard } from '../invocation/invocation-access.guard';
import { InvocationService } from '../invocation/invocation.service';
import { PubSubService } from '../pubsub/pubsub.service';
import { PubSubSubscriber } from '../pubsub/pubsub.subscriber';
import { ComponentRuntime } from '../runtime/component-runtime';

/**
 * The objects waiting for their app's host (a `DaprTransport`, a `ClientDapr`),
 * each with what to do once attached. Keyed by the object itself, so nothing
 * outlives it and no app sees another's objects; not a member of theirs, so
 * the host stays out of the public types.
 */
const waiting = new WeakMap<object, (host: MicroservicesHost) => void>();

/** Called by a transport or client when it is made: `attach` runs when DaprModule finds it. */
export function awaitHost(target: object, attach: (host: MicroservicesHost) => void): void {
  waiting.set(target, attach);
}

function attachTo(target: unknown, host: MicroservicesHost): void {
  if (typeof target !== 'object' || target === null) return;
  const attach = waiting.get(target);
  if (!attach) return;
  waiting.delete(target);
  attach(host);
}

/**
 * Where the `@nestjs/microservices` transport meets the app's Dapr blocks.
 * `DaprTransport` and `ClientDapr` are created by Nest (a strategy object, a
 * `ClientsModule` factory), outside DI; this provider hands them the app's
 * own services: a transport when Nest registers it as an RPC target of this
 * app's container (`ModulesContainer.getRpcTargetRegistry()`, public in Nest
 * 11 and 12), a client when it is among this app's providers. No process-wide
 * registry: several apps in one process each attach their own.
 *
 * This file does not load `@nestjs/microservices`; apps without it pay nothing.
 */
@Injectable()
export class MicroservicesHost implements OnModuleInit, OnApplicationShutdown {
  readonly logger = new Logger('DaprMicroservices');
  private readonly targets: Subscription;

  constructor(
    readonly runtime: ComponentRuntime,
    readonly explorer: DaprHandlerExplorer,
    readonly binder: DaprHandlerBinder,
    readonly subscriber: PubSubSubscriber,
    readonly pubsub: PubSubService,
    readonly invocation: InvocationService,
    readonly accessGuard: InvocationAccessGuard,
    private readonly discovery: DiscoveryService,
    modules: ModulesContainer,
    @Optional() readonly adapterHost?: HttpAdapterHost,
  ) {
    // Subscribed at construction: a hybrid app may start its microservices before app.init() runs the hooks.
    this.targets = modules.getRpcTargetRegistry().subscribe((target) => {
      attachTo(target, this);
    });
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      attachTo(wrapper.instance, this);
    }
  }

  onApplicationShutdown(): void {
    this.targets.unsubscribe();
  }
}
