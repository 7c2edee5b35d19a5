import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AccessControlSpec, DaprModuleOptions, NameResolutionOptions } from '../runtime/dapr-module-options.interface';
import { BindingsService } from '../bindings/bindings.service';
import { ConfigurationService } from '../configuration/configuration.service';
import { ComponentConfigError } from '../errors/component-config.error';
import { AccessControlPolicy } from '../invocation/access-control.policy';
import { NameResolutionService } from '../invocation/name-resolution.service';
import { OperationRunner } from '../operations/operation-runner';
import { PubSubService } from '../pubsub/pubsub.service';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { loadComponentsPath, parseResourceFile } from '../runtime/component-loader';
import { ComponentRuntime } from '../runtime/component-runtime';
import { LockService } from '../lock/lock.service';
import { SecretsService } from '../secrets/secrets.service';
import { StateService } from '../state/state.service';
import { AppBindings } from './app-channel/app-bindings';
import type { AppChannel } from './app-channel/app-channel';
import { AppHealthMonitor } from './app-channel/app-health.monitor';
import { AppSubscriber } from './app-channel/app-subscriber';
import { declarativeSubscription, type AppSubscription } from './app-channel/app-subscription';
import { HttpAppChannel } from './app-channel/http.app-channel';
import { GrpcApiServer } from './grpc/grpc-api.server';
import { GrpcAppChannel } from './grpc/grpc.app-channel';
import { loadGrpcStack, type GrpcStack } from './grpc/grpc-stack';
import { HttpApiServer, type HttpApiRegistration } from './http/http-api.server';
import { DirectMessaging } from './invocation/direct-messaging';
import { InternalInvokeServer } from './invocation/internal-invoke.server';
import type { SidecarContext } from './sidecar-context';
import { SidecarMetadata } from './sidecar-metadata';
import type { SidecarOptions } from './sidecar-options';
import { SidecarReadiness } from './sidecar-readiness';
import { sidecarModule } from './sidecar.module';

/** The ports a started sidecar listens on. */
export interface SidecarPorts {
  http: number;
  /** Undefined when the gRPC API is not served (its packages are not installed). */
  grpc?: number;
  internal: number;
}

export interface SidecarExtensions {
  /** More HTTP APIs (lock, configuration...) registered beside the built-in ones. */
  httpApis?: HttpApiRegistration[];
}

const LEVELS: Record<SidecarOptions['logLevel'], LogLevel[]> = {
  debug: ['error', 'warn', 'log', 'debug', 'verbose'],
  info: ['error', 'warn', 'log'],
  warn: ['error', 'warn'],
  error: ['error'],
};

/**
 * A Dapr sidecar made of the library's own runtime: DaprModule in a Nest
 * application context provides the components, resiliency and the blocks'
 * services; the sidecar adds Dapr's HTTP and gRPC APIs in front of them and
 * the app channel behind them (subscriptions, input bindings and invocations
 * delivered to the app). `nest-dapr run` is this class plus flag parsing.
 */
export class DaprSidecar {
  private readonly logger = new Logger('DaprSidecar');
  readonly readiness = new SidecarReadiness();
  readonly metadata: SidecarMetadata;
  private nest?: INestApplicationContext;
  private http?: HttpApiServer;
  private grpc?: GrpcApiServer;
  private internal?: InternalInvokeServer;
  private invoker?: DirectMessaging;
  private channel?: AppChannel;
  private subscriber?: AppSubscriber;
  private bindings?: AppBindings;
  private health?: AppHealthMonitor;
  private acl?: AccessControlPolicy;
  private readonly abort = new AbortController();
  private stopping?: Promise<void>;
  private appReady?: Promise<void>;
  private declarative: AppSubscription[] = [];
  ports?: SidecarPorts;
  /** Called when the sidecar was asked to shut down (`POST /v1.0/shutdown`). */
  onShutdownRequested: () => void = () => void this.stop();

  constructor(
    readonly options: SidecarOptions,
    private readonly extensions: SidecarExtensions = {},
  ) {
    this.metadata = new SidecarMetadata(options, () => this.runtime);
  }

  private get runtime(): ComponentRuntime | undefined {
    return this.nest?.get(ComponentRuntime, { strict: false });
  }

  /**
   * Initialises the components and serves the APIs. Resolves once the APIs
   * listen; the app channel comes up in the background (see `whenAppReady`).
   */
  async start(): Promise<SidecarPorts> {
    const o = this.options;
    const config = o.config ? readConfiguration(o.config) : {};
    if (config.accessControl) this.acl = new AccessControlPolicy(config.accessControl, { file: resolve(o.config!) });

    this.internal = new InternalInvokeServer({
      appId: o.appId,
      host: o.listenAddress,
      port: o.daprInternalPort,
      maxBodySize: o.maxBodySize,
      apiToken: o.appApiToken,
      namespace: o.namespace,
      acl: () => this.acl,
      invoker: () => (this.readiness.stopping ? undefined : this.invoker),
    });
    const internalPort = await this.internal.listen();

    const daprOptions: DaprModuleOptions = {
      appId: o.appId,
      appPort: internalPort,
      namespace: o.namespace,
      apiToken: o.appApiToken,
    };
    if (o.resourcesPaths.length) daprOptions.componentsPath = o.resourcesPaths;
    if (config.accessControl) daprOptions.accessControl = config.accessControl;
    if (config.nameResolution) daprOptions.nameResolution = config.nameResolution;
    // Like `dapr run` (mDNS), a sidecar finds other apps out of the box: the embedded SQLite resolver
    // unless the resources name another one.
    else if (!resourcesNameAResolver(o.resourcesPaths)) daprOptions.nameResolution = { component: 'sqlite' };
    try {
      this.nest = await NestFactory.createApplicationContext(sidecarModule(daprOptions), { logger: LEVELS[o.logLevel], abortOnError: false });
    } catch (err) {
      await this.internal.close();
      throw err;
    }
    const nest = this.nest;
    const runtime = nest.get(ComponentRuntime, { strict: false });
    const resiliency = nest.get(ResiliencyService, { strict: false });
    this.invoker = new DirectMessaging({
      appId: o.appId,
      namespace: o.namespace,
      apiToken: o.appApiToken,
      names: nest.get(NameResolutionService, { strict: false }),
      resiliency,
      channel: () => this.channel,
    });
    this.declarative = runtime.resourcesOf('Subscription').map(declarativeSubscription);

    const ctx: SidecarContext = {
      options: o,
      runtime,
      state: nest.get(StateService, { strict: false }),
      pubsub: nest.get(PubSubService, { strict: false }),
      bindings: nest.get(BindingsService, { strict: false }),
      secrets: nest.get(SecretsService, { strict: false }),
      lock: nest.get(LockService, { strict: false }),
      configuration: nest.get(ConfigurationService, { strict: false }),
      appChannel: () => this.channel,
      invoker: this.invoker,
      metadata: this.metadata,
      readiness: this.readiness,
      requestShutdown: () => this.onShutdownRequested(),
    };
    try {
      this.http = new HttpApiServer(ctx, this.extensions.httpApis);
      const http = await this.http.listen(o.daprHttpPort, o.listenAddress);
      let grpc: number | undefined;
      // gRPC is served when its packages are installed; asked for explicitly, their absence is an error.
      const stack = await loadGrpcStack(!!o.requireGrpc || o.appProtocol === 'grpc');
      if (stack) {
        this.grpc = new GrpcApiServer(ctx, stack);
        grpc = await this.grpc.listen(o.daprGrpcPort, o.listenAddress);
      }
      this.ports = { http, grpc, internal: internalPort };
      if (o.appPort !== undefined) this.channel = this.createChannel(stack);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.readiness.componentsReady = true;
    this.logger.log(
      `dapr sidecar for "${o.appId}" up: HTTP API on ${o.listenAddress}:${this.ports.http}` +
        (this.ports.grpc !== undefined ? `, gRPC API on ${this.ports.grpc}` : ', gRPC API off') +
        (o.appPort !== undefined ? `, app on ${o.appProtocol}://${o.appChannelAddress}:${o.appPort}` : ', no app port'),
    );
    this.appReady = this.connectApp(nest, resiliency);
    this.appReady.catch((err: Error) => this.logger.error(`app channel: ${err.message}`));
    return this.ports;
  }

  /** Resolves once the app channel is ready (subscriptions and input bindings running). */
  whenAppReady(): Promise<void> {
    return this.appReady ?? Promise.resolve();
  }

  private createChannel(stack: GrpcStack | undefined): AppChannel {
    const o = this.options;
    const warn = (m: string) => this.logger.warn(m);
    if (o.appProtocol === 'grpc') {
      return new GrpcAppChannel({ appId: o.appId, host: o.appChannelAddress, port: o.appPort!, appApiToken: o.appApiToken, warn }, stack!);
    }
    return new HttpAppChannel({ appId: o.appId, host: o.appChannelAddress, port: o.appPort!, appApiToken: o.appApiToken, maxConcurrency: o.appMaxConcurrency, warn });
  }

  private async connectApp(nest: INestApplicationContext, resiliency: ResiliencyService): Promise<void> {
    const channel = this.channel;
    if (!channel) {
      this.readiness.appChannelReady = true;
      if (this.declarative.length) this.logger.warn(`${this.declarative.length} declarative subscription(s) ignored: no --app-port to deliver to`);
      return;
    }
    await channel.waitUntilListening(this.abort.signal);
    if (this.abort.signal.aborted) return;
    this.metadata.appConfig = await channel.config();
    const start = async () => {
      const programmatic = await channel.subscriptions();
      const subscriber = new AppSubscriber({
        appId: this.options.appId,
        channel,
        pubsub: nest.get(PubSubService, { strict: false }),
        resiliency,
        runner: nest.get(OperationRunner, { strict: false }),
      });
      const bindings = new AppBindings({ runtime: nest.get(ComponentRuntime, { strict: false }), channel, resiliency, runner: nest.get(OperationRunner, { strict: false }) });
      this.subscriber = subscriber;
      this.bindings = bindings;
      this.metadata.subscriptions = () => subscriber.list().map((s) => s.spec);
      this.metadata.inputBindings = () => bindings.active;
      await subscriber.start([...this.declarative, ...programmatic]);
      await bindings.start();
    };
    const stop = async () => {
      const subscriber = this.subscriber;
      const bindings = this.bindings;
      this.subscriber = undefined;
      this.bindings = undefined;
      await Promise.all([subscriber?.stop(this.options.gracefulShutdownMs), bindings?.stop(this.options.gracefulShutdownMs)]);
    };
    if (this.options.appHealth) {
      // Nothing is delivered until the app first reports healthy; unhealthy stops deliveries again.
      this.health = new AppHealthMonitor(channel, this.options.appHealth, {
        healthy: start,
        unhealthy: stop,
        log: (m) => this.logger.warn(m),
      });
      this.health.start();
      await this.health.firstHealthy();
    } else {
      await start();
    }
    if (this.abort.signal.aborted) return;
    this.readiness.appChannelReady = true;
    this.logger.log(`app channel ready (${channel.protocol})`);
  }

  /**
   * Graceful shutdown as daprd does it: nothing is ready any more, intake of
   * deliveries stops and those in flight finish (up to the grace period) while
   * the APIs still serve the app, then the servers close and the components
   * are released.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.readiness.stopping = true;
    this.abort.abort();
    this.health?.stop();
    const grace = this.options.gracefulShutdownMs;
    await Promise.all([this.subscriber?.stop(grace), this.bindings?.stop(grace)]).catch((err: Error) => this.logger.warn(`draining: ${err.message}`));
    await Promise.all([this.http?.close(), this.grpc?.close(), this.internal?.close()]);
    await this.channel?.close().catch(() => undefined);
    await this.invoker?.close();
    await this.nest?.close().catch((err: Error) => this.logger.warn(`closing components: ${err.message}`));
    this.logger.log('dapr sidecar stopped');
  }
}

interface ConfigurationSpec {
  accessControl?: AccessControlSpec;
  nameResolution?: NameResolutionOptions;
}

/** Whether the resources folders configure name resolution themselves (a Configuration or a nameresolution component). */
function resourcesNameAResolver(paths: string[]): boolean {
  return paths.some((p) => {
    const loaded = loadComponentsPath(p);
    return loaded.components.some((c) => c.type.startsWith('nameresolution.')) || loaded.resources.some((r) => r.kind === 'Configuration' && r.spec.nameResolution !== undefined);
  });
}

/** The `spec` of the Configuration resource in a `--config` file. */
function readConfiguration(file: string): ConfigurationSpec {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ComponentConfigError(`--config file cannot be read: ${(err as Error).message}`, { file: path }, undefined, 'config');
  }
  const loaded = parseResourceFile(text, path);
  const config = loaded.resources.find((r) => r.kind === 'Configuration');
  if (!config) throw new ComponentConfigError('--config file holds no Configuration resource', { file: path }, undefined, 'kind');
  return config.spec as ConfigurationSpec;
}
