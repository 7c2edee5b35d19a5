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
 * The method a `DaprTransport` or `ClientDapr` exposes under this symbol is
 * called with the app's `MicroservicesHost` (a symbol registered by name, so a
 * second copy of the package in node_modules still recognises it).
 */
export const ATTACH_DAPR_HOST = Symbol.for('nest-dapr:attach-microservices-host');

interface Attachable {
  [ATTACH_DAPR_HOST](host: MicroservicesHost): void;
}

function isAttachable(value: unknown): value is Attachable {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Attachable>)[ATTACH_DAPR_HOST] === 'function';
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
      if (isAttachable(target)) target[ATTACH_DAPR_HOST](this);
    });
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      if (isAttachable(wrapper.instance)) wrapper.instance[ATTACH_DAPR_HOST](this);
    }
  }

  onApplicationShutdown(): void {
    this.targets.unsubscribe();
  }
}
