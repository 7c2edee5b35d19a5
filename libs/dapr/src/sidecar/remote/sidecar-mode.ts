import { Injectable, Logger, type DynamicModule, type OnApplicationShutdown, type OnModuleInit, type Provider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BindingsService } from '../../bindings/bindings.service';
import { ConfigurationService } from '../../configuration/configuration.service';
import { InputBindingsManager } from '../../bindings/input-bindings.manager';
import { SidecarConfigError } from '../../errors/sidecar.errors';
import { InvocationService } from '../../invocation/invocation.service';
import { PubSubService } from '../../pubsub/pubsub.service';
import { PubSubSubscriber } from '../../pubsub/pubsub.subscriber';
import { DAPR_MODULE_OPTIONS } from '../../runtime/dapr-module.definition';
import type { DaprModuleOptions } from '../../runtime/dapr-module-options.interface';
import { SecretsService } from '../../secrets/secrets.service';
import { StateService } from '../../state/state.service';
import { AppCallbacks } from './app-callbacks';
import { RemoteBindingsService } from './remote-bindings.service';
import { RemoteConfigurationService } from './remote-configuration.service';
import { RemoteInvocationService } from './remote-invocation.service';
import { RemotePubSubService } from './remote-pubsub.service';
import { RemoteSecretsService } from './remote-secrets.service';
import { RemoteStateService } from './remote-state.service';
import { RemoteLockService } from './remote-lock.service';
import { LockService } from '../../lock/lock.service';
import { SidecarClient, sidecarTarget } from './sidecar-client';

/** The sidecar client when `sidecar` is set, else null (the in-process runtime). */
export const DAPR_SIDECAR_CLIENT = Symbol('dapr:sidecar-client');

/** How long start-up waits for daprd's outbound health before giving up (the SDKs wait as long). */
const SIDECAR_WAIT_MS = 60_000;

/** Checks the options and opens the client once; waits for daprd at start-up, closes at shutdown. */
@Injectable()
class SidecarMode implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DaprSidecarMode');

  constructor(private readonly moduleRef: ModuleRef) {}

  private get client(): SidecarClient | null {
    return this.moduleRef.get(DAPR_SIDECAR_CLIENT, { strict: false });
  }

  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client.waitUntilReady(SIDECAR_WAIT_MS);
    this.logger.log(`sidecar mode: state, pub/sub, invocation, bindings, secrets, locks and configuration go to ${client.target.endpoint}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}

const sidecarClient: Provider = {
  provide: DAPR_SIDECAR_CLIENT,
  inject: [DAPR_MODULE_OPTIONS],
  useFactory: (options: DaprModuleOptions): SidecarClient | null => {
    if (!options.sidecar) return null;
    const conflicting = [options.components !== undefined && 'components', options.componentsPath !== undefined && 'componentsPath'].filter(Boolean);
    if (conflicting.length) {
      throw new SidecarConfigError(
        `DaprModule.forRoot({ sidecar }) takes its components from the sidecar: remove ${conflicting.join(' and ')} (give them to the sidecar, e.g. nest-dapr run --resources-path)`,
      );
    }
    return new SidecarClient(sidecarTarget(options.sidecar));
  },
};

/** Either the block's own service (built by Nest with its dependencies) or its sidecar twin. */
function either(token: Type<unknown>, remote: (client: SidecarClient) => unknown): Provider {
  return {
    provide: token,
    inject: [DAPR_SIDECAR_CLIENT, ModuleRef],
    useFactory: (client: SidecarClient | null, ref: ModuleRef) => (client ? remote(client) : ref.create(token)),
  };
}

/**
 * Sidecar mode of DaprModule (`forRoot({ sidecar })`): the services keep
 * their names and methods but talk to daprd (the "remote runtime" under
 * them), and the subscriber that would consume brokers in-process is replaced
 * by the app-callback endpoints daprd calls. Without `sidecar` every provider
 * is the block's own. Appended to DaprModule's dynamic module, so these
 * definitions replace the blocks' ones.
 */
export function withSidecarMode(module: DynamicModule): DynamicModule {
  const providers: Provider[] = [
    sidecarClient,
    SidecarMode,
    either(StateService, (c) => new RemoteStateService(c)),
    either(PubSubService, (c) => new RemotePubSubService(c)),
    either(InvocationService, (c) => new RemoteInvocationService(c)),
    either(BindingsService, (c) => new RemoteBindingsService(c)),
    either(SecretsService, (c) => new RemoteSecretsService(c)),
    either(LockService, (c) => new RemoteLockService(c)),
    either(ConfigurationService, (c) => new RemoteConfigurationService(c)),
    {
      provide: PubSubSubscriber,
      inject: [DAPR_SIDECAR_CLIENT, ModuleRef],
      useFactory: (client: SidecarClient | null, ref: ModuleRef) => (client ? ref.create(AppCallbacks) : ref.create(PubSubSubscriber)),
    },
    {
      provide: InputBindingsManager,
      inject: [DAPR_SIDECAR_CLIENT, ModuleRef],
      // In sidecar mode AppCallbacks serves @OnBinding handlers; nothing reads bindings here.
      useFactory: (client: SidecarClient | null, ref: ModuleRef) => (client ? {} : ref.create(InputBindingsManager)),
    },
  ];
  return { ...module, providers: [...(module.providers ?? []), ...providers] };
}
