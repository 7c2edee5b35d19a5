import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NameResolutionOptions } from '../runtime/dapr-module-options.interface';
import { ComponentConfigError, type ConfigSource } from '../errors/component-config.error';
import { inspectMetadata } from '../spi/kit/metadata/metadata-decoder';
import { resolverMetadataOrigin } from '../spi/kit/metadata/resolver-configuration';
import { AppNotFoundError } from '../errors/invocation.errors';
import type { NameResolverDriver } from '../spi/name-resolver.spi';
import { ComponentRuntime } from '../runtime/component-runtime';
import { workloadIdentityOf } from './workload-identity';

const RESOLVER_PREFIX = 'nameresolution.';

/** What the service itself reads from `nameResolution.configuration`, for every resolver. */
const SERVICE_FIELDS = {
  host: { type: 'string', support: 'extension', description: 'Host registered with the port (default 127.0.0.1).' },
} as const;

/**
 * Owns the app's name resolver. Chosen, as in Dapr, by `nameResolution`
 * (module option, else a Configuration resource's `spec.nameResolution`,
 * else a `nameresolution.*` component). With none of these, Dapr's
 * standalone default `sqlite` applies when it can work and is wanted (see
 * `defaultSpec`); otherwise the app registers nowhere, loads no package,
 * writes no file, and invoking another app fails with AppNotFoundError saying
 * what to configure (`sqlite` for apps on one machine, `static`, `kubernetes`).
 * Once the HTTP server listens, the app registers its address (appPort option,
 * else the port Nest listens on) and deregisters before shutdown. The address
 * is `https://` when Nest serves TLS, or for an explicit appPort when mTLS is
 * configured (something else, such as a TLS proxy, may answer there).
 */
@Injectable()
export class NameResolutionService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('DaprNameResolution');
  private driver?: NameResolverDriver;
  private ready?: Promise<NameResolverDriver>;
  private owned = false;
  private registeredAt?: string;
  private onListening?: () => void;
  private server?: Server;
  /** Undefined when the app configured no name resolution. */
  private spec?: NameResolutionOptions;
  /** The Configuration resource the spec came from, for error messages. */
  private specSource?: ConfigSource;
  private stopped = false;
  private readonly mtls: boolean;

  constructor(
    private readonly runtime: ComponentRuntime,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.mtls = workloadIdentityOf(runtime) !== undefined;
  }

  /** The resolver in use: `sqlite`, `static`, `kubernetes` or a component's type; `none` when not configured. */
  get resolverName(): string {
    return this.spec?.component ?? 'none';
  }

  async onModuleInit(): Promise<void> {
    await this.runtime.start();
    this.spec = this.chooseSpec();
    // Initialised now, so that a bad configuration stops start-up; the SQLite
    // resolver opens its file only on first use (no trace in .dapr/ from an app
    // that neither listens nor invokes).
    if (this.spec) await this.resolver();
  }

  onApplicationBootstrap(): void {
    if (!this.spec) return;
    const port = this.runtime.options.appPort;
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
    const tls = server instanceof TlsServer;
    if (port !== undefined) {
      void this.register(port, tls || this.mtls);
      return;
    }
    if (!server || typeof server.once !== 'function') return;
    this.server = server;
    if (this.mtls && !tls) {
      // Registering https:// for a plain server would only turn every call into a TLS handshake failure.
      this.logger.warn(
        `mTLS is configured but the HTTP server of ${this.runtime.appId} is not TLS: registering http://, so callers cannot verify it ` +
          'and it cannot verify them; create the app with { httpsOptions: daprHttpsOptions() }',
      );
    }
    const fromServer = () => {
      const addr = server.address() as AddressInfo | string | null;
      if (addr && typeof addr === 'object') void this.register(addr.port, tls);
    };
    if (server.listening) fromServer();
    else {
      // Nest runs bootstrap hooks inside app.init(), before app.listen() binds the port.
      this.onListening = fromServer;
      server.once('listening', fromServer);
    }
  }

  /** One live base URL (`http://host:port`) for the app id; AppNotFoundError otherwise. */
  resolve(appId: string): Promise<string> {
    // Not async: on the hot path the driver is ready and its promise is returned as is.
    const req = { appId, namespace: this.runtime.options.namespace };
    const driver = this.driver;
    if (driver) return driver.resolve(req);
    return this.spec ? this.resolver().then((d) => d.resolve(req)) : this.notConfigured(appId);
  }

  /**
   * `resolve` for the invocation hot path: a plain string when the driver is
   * ready and answers without I/O, else the promise.
   */
  lookup(appId: string): string | Promise<string> {
    const driver = this.driver;
    if (driver?.resolveNow) return driver.resolveNow({ appId, namespace: this.runtime.options.namespace });
    return this.resolve(appId);
  }

  /** The address this app registered, once it has. */
  get address(): string | undefined {
    return this.registeredAt;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.onListening) this.server?.off('listening', this.onListening);
    if (this.registeredAt && this.driver?.deregister) await this.driver.deregister().catch(() => undefined);
    this.registeredAt = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.owned && this.driver) await this.driver.close?.().catch(() => undefined);
    this.driver = undefined;
  }

  private async register(port: number, https: boolean): Promise<void> {
    const spec = this.spec;
    if (this.stopped || !spec) return;
    const host = String(spec.configuration?.host ?? '127.0.0.1');
    const address = `${https ? 'https' : 'http'}://${host}:${port}`;
    try {
      const driver = await this.resolver();
      if (!driver.register || this.stopped) return;
      await driver.register({ appId: this.runtime.appId, namespace: this.runtime.options.namespace, address });
      this.registeredAt = address;
      this.logger.log(`registered ${this.runtime.appId} at ${address} (nameresolution.${spec.component})`);
    } catch (err) {
      this.logger.error(`could not register ${this.runtime.appId} at ${address}: ${(err as Error).message}`);
    }
  }

  private resolver(): Promise<NameResolverDriver> {
    this.ready ??= this.create().then((d) => (this.driver = d));
    return this.ready;
  }

  private notConfigured(appId: string): Promise<never> {
    return Promise.reject(
      new AppNotFoundError(
        appId,
        'none',
        `${this.runtime.appId} has no name resolution configured; set nameResolution in DaprModule.forRoot or spec.nameResolution ` +
          'in a Configuration resource (sqlite for apps on one machine, static for fixed addresses, kubernetes)',
      ),
    );
  }

  private async create(): Promise<NameResolverDriver> {
    const component = this.runtime.list('nameresolution')[0];
    if (component && !this.fromOptionsOrConfig()) return component.driver as NameResolverDriver;
    if (!this.spec) throw new Error('unreachable: resolver() without a name resolution spec');
    const type = RESOLVER_PREFIX + this.spec.component;
    // chooseSpec checked that the registry serves this type.
    const driver = this.runtime.registry.find(type, 'v1')!() as NameResolverDriver;
    const metadata = {
      name: type,
      type,
      version: 'v1',
      properties: {},
      appId: this.runtime.appId,
      namespace: this.runtime.options.namespace,
      configuration: this.spec.configuration ?? {},
      source: this.specSource,
    };
    // As for components: configuration keys the resolver does not declare are warned about, with a did-you-mean.
    const schema = this.runtime.registry.schema(type, 'v1');
    if (schema && schema.fields && Object.keys(schema.fields).length) {
      for (const w of inspectMetadata(schema, resolverMetadataOrigin(metadata, type), SERVICE_FIELDS)) this.logger.warn(w);
    }
    await driver.init(metadata);
    this.owned = true;
    return driver;
  }

  private fromOptionsOrConfig(): boolean {
    return !!this.runtime.options.nameResolution || !!this.configurationSpec();
  }

  private configurationSpec(): { spec: NameResolutionOptions; source?: import('../errors/component-config.error').ConfigSource } | undefined {
    for (const r of this.runtime.resourcesOf('Configuration')) {
      const nr = r.spec.nameResolution as NameResolutionOptions | undefined;
      if (nr !== undefined) return { spec: nr, source: r.source };
    }
    return undefined;
  }

  /** The name resolvers the registry serves (`sqlite`, `static`, `kubernetes`, ...). */
  private resolverNames(): string[] {
    return this.runtime.registry
      .knownTypes()
      .filter((t) => t.startsWith(RESOLVER_PREFIX) && t.endsWith('/v1'))
      .map((t) => t.slice(RESOLVER_PREFIX.length, -'/v1'.length));
  }

  /**
   * Nothing configured: Dapr's standalone default, the SQLite resolver (a file
   * under .dapr/), but only when it can work and is wanted. An app without
   * better-sqlite3 did not ask for it (no ERROR, no file: invoking another app
   * then says what to configure). An app whose components are all in-memory
   * (a try-out, a DaprTestingModule twin) shares nothing with other processes,
   * so it registers nowhere and writes nothing either.
   */
  private defaultSpec(): NameResolutionOptions | undefined {
    const components = this.runtime.list();
    if (components.length > 0 && components.every((c) => processLocal(c.type))) return undefined;
    if (!isInstalled('better-sqlite3')) {
      this.logger.log(`${this.runtime.appId} uses no name resolution: install better-sqlite3 or configure nameResolution to invoke apps by id`);
      return undefined;
    }
    return { component: 'sqlite' };
  }

  private chooseSpec(): NameResolutionOptions | undefined {
    const fromConfig = this.configurationSpec();
    const spec = this.runtime.options.nameResolution ?? fromConfig?.spec;
    if (!spec) {
      const component = this.runtime.list('nameresolution')[0];
      if (component) return { component: component.type.slice('nameresolution.'.length) as NameResolutionOptions['component'] };
      return this.defaultSpec();
    }
    const source = this.runtime.options.nameResolution ? undefined : fromConfig?.source;
    this.specSource = source;
    if (typeof spec !== 'object' || typeof spec.component !== 'string' || !this.runtime.registry.find(RESOLVER_PREFIX + spec.component, 'v1')) {
      throw new ComponentConfigError(
        `spec.nameResolution.component "${String((spec as { component?: unknown })?.component)}" is not one of ${this.resolverNames().join(', ')}`,
        source,
        undefined,
        'spec.nameResolution.component',
      );
    }
    if (spec.configuration !== undefined && (typeof spec.configuration !== 'object' || spec.configuration === null)) {
      throw new ComponentConfigError('spec.nameResolution.configuration must be a mapping', source, undefined, 'spec.nameResolution.configuration');
    }
    return spec;
  }
}

/** Component types that need no server and share nothing with other processes. */
function processLocal(type: string): boolean {
  return type.endsWith('.in-memory') || type.startsWith('secretstores.local.') || type === 'bindings.cron';
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
