import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { DAPR_MODULE_OPTIONS } from './dapr-module.definition';
import type { DaprModuleOptions } from './dapr-module-options.interface';
import type { Component, ComponentMetadata } from '../spi/component.spi';
import type { SecretStoreDriver } from '../spi/secret-store.spi';
import { ComponentConfigError, describeSource, UnknownComponentTypeError } from '../errors/component-config.error';
import { ComponentInitError, ComponentNotFoundError } from '../errors/component-init.error';
import { componentKind, type ComponentSpec, type DaprResource } from './component-definition';
import { assertUniqueNames, fromDefinitions, loadComponentsPath } from './component-loader';
import { ComponentRegistry } from './component-registry';
import { parseDuration } from '../spi/kit/duration';
import { withTimeout } from '../spi/kit/timeout';
import { envSecret } from './env-secret';
import { resolveMetadata } from './metadata-resolver';
import { inspectMetadata } from '../spi/kit/metadata/metadata-decoder';
import { RUNTIME_FIELDS } from '../spi/kit/metadata/runtime-fields';
import { resolveOptions, type ResolvedDaprOptions } from './resolved-options';
import { resolveLimits, type ResolvedLimits } from './limits';
import { SecretRedactor, trackRunningRedactor } from './secret-redaction';

/** A loaded, initialised component. */
export interface LoadedComponent<T extends Component = Component> {
  name: string;
  type: string;
  version: string;
  kind: string;
  driver: T;
  metadata: ComponentMetadata;
  spec: ComponentSpec;
}

export interface ComponentHealth {
  name: string;
  type: string;
  status: 'up' | 'down';
  error?: string;
}

const PING_TIMEOUT_MS = 2000;

/**
 * Owns the components of one app: reads YAML and inline definitions, applies
 * scopes, resolves metadata (secrets, env refs, templates), creates drivers
 * through the registry, initialises them in parallel under `initTimeout`,
 * reports their health and closes them at shutdown.
 */
@Injectable()
export class ComponentRuntime implements OnApplicationShutdown {
  private readonly logger = new Logger('Dapr');
  readonly options: ResolvedDaprOptions;
  /** Body size limits and timeouts (`limits` option with defaults). */
  readonly limits: ResolvedLimits;
  private readonly components = new Map<string, LoadedComponent>();
  private readonly resources: DaprResource[] = [];
  private started?: Promise<void>;
  private closed = false;

  /** The drivers this app can create (the module passes the built-in ones plus the app's own). */
  readonly registry: ComponentRegistry;
  /** This app's secret values, masked in its errors, logs and health output. */
  readonly redactor = new SecretRedactor();

  constructor(@Inject(DAPR_MODULE_OPTIONS) options: DaprModuleOptions, @Optional() registry?: ComponentRegistry) {
    this.options = resolveOptions(options);
    this.limits = resolveLimits(this.options.limits);
    // Outside DaprModule (a runtime built by hand) only the options' own drivers are known.
    this.registry = registry ?? new ComponentRegistry(options.drivers ?? []);
  }

  get appId(): string {
    return this.options.appId;
  }

  /** Loads and initialises everything once; later calls share the same promise. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    trackRunningRedactor(this.redactor, true);
    const specs: ComponentSpec[] = [];
    // Several folders, as `dapr run --resources-path a --resources-path b` gives them.
    for (const path of [this.options.componentsPath ?? []].flat()) {
      const loaded = loadComponentsPath(path);
      for (const s of loaded.skipped) {
        this.logger.log(`skipping ${s.kind}${s.name ? ` "${s.name}"` : ''} in ${describeSource(s.source)}: ${s.reason}`);
      }
      specs.push(...loaded.components);
      this.resources.push(...loaded.resources.filter((r) => this.inScope(r.scopes)));
    }
    specs.push(...fromDefinitions(this.options.components ?? []));
    assertUniqueNames(specs);
    const active = this.prepareSpecs(specs.filter((s) => this.inScope(s.scopes)));
    // Fail on unknown types and bad durations before connecting to anything.
    const factories = new Map(active.map((s) => [s.name, this.factoryFor(s)] as const));
    const timeouts = new Map(active.map((s) => [s.name, this.initTimeoutOf(s)] as const));

    // Secret stores first: other components' secretKeyRefs resolve through them.
    const [secretSpecs, otherSpecs] = partition(active, (s) => componentKind(s.type) === 'secretstores');
    await this.initAll(secretSpecs, factories, timeouts);
    await this.initAll(otherSpecs, factories, timeouts);
  }

  /**
   * Seam for DaprTestingModule: a subclass may rewrite the in-scope specs
   * (e.g. swap every store and broker for its in-memory twin) before any
   * driver is created. The default changes nothing.
   */
  protected prepareSpecs(specs: ComponentSpec[]): ComponentSpec[] {
    return specs;
  }

  private async initAll(
    specs: ComponentSpec[],
    factories: Map<string, () => Component>,
    timeouts: Map<string, number>,
  ): Promise<void> {
    const results = await Promise.allSettled(
      specs.map((spec) => this.initOne(spec, factories.get(spec.name)!, timeouts.get(spec.name)!)),
    );
    const failures: Error[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const spec = specs[i];
      if (spec.ignoreErrors && !(r.reason instanceof ComponentConfigError)) {
        this.logger.warn(`ignoring component "${spec.name}" (${spec.type}): ${(r.reason as Error).message}`);
        return;
      }
      failures.push(r.reason as Error);
    });
    if (failures.length) {
      await this.closeAll();
      throw failures[0];
    }
  }

  private async initOne(spec: ComponentSpec, create: () => Component, timeoutMs: number): Promise<void> {
    const properties = await resolveMetadata(spec, this.options, (store, name) => this.lookupSecret(spec, store, name));
    // From here on, error messages and logs mask these values (passwords, connection strings,
    // anything that came through a secretKeyRef), whatever the driver puts in its errors.
    this.redactor.registerMetadata(properties);
    this.redactor.register(spec.metadata.filter((m) => isSecretRef(m.value)).map((m) => properties[m.name]));
    const metadata: ComponentMetadata = {
      name: spec.name,
      type: spec.type,
      version: spec.version,
      properties,
      appId: this.options.appId,
      namespace: this.options.namespace,
      source: spec.source,
      fieldSources: Object.fromEntries(spec.metadata.filter((m) => m.source).map((m) => [m.name, m.source!])),
    };
    // The driver's declared metadata: decoding errors name the file and line before anything
    // connects; keys the driver (and daprd) do not know are warned about with a "did you mean".
    const schema = this.registry.schema(spec.type, spec.version);
    if (schema) {
      for (const warning of inspectMetadata(schema, metadata, RUNTIME_FIELDS[componentKind(spec.type)])) this.logger.warn(warning);
    }
    const driver = create();
    try {
      await withTimeout(driver.init(metadata), timeoutMs, () => new ComponentInitError(spec.name, spec.type, `timed out after ${spec.initTimeout}`));
    } catch (err) {
      await driver.close?.().catch(() => undefined);
      if (err instanceof ComponentConfigError || err instanceof ComponentInitError) {
        // Typed errors keep their class and fields, but not a secret a driver put in the text.
        err.message = this.redactor.redact(err.message);
        if (err.stack) err.stack = this.redactor.redact(err.stack);
        throw err;
      }
      if ((err as { errorCode?: string }).errorCode === 'ERR_MISSING_PACKAGE') throw err;
      throw new ComponentInitError(spec.name, spec.type, this.redactor.redact((err as Error).message), { cause: err });
    }
    this.components.set(spec.name, {
      name: spec.name,
      type: spec.type,
      version: spec.version,
      kind: componentKind(spec.type),
      driver,
      metadata,
      spec,
    });
    this.logger.log(`component "${spec.name}" (${spec.type}/${spec.version}) ready`);
  }

  private async lookupSecret(spec: ComponentSpec, store: string | undefined, name: string) {
    if (store === undefined) return envSecret(name);
    const loaded = this.components.get(store);
    if (!loaded || loaded.kind !== 'secretstores') {
      throw new ComponentConfigError(
        `component "${spec.name}": auth.secretStore "${store}" is not a configured secret store`,
        spec.source,
        spec.name,
        'auth.secretStore',
      );
    }
    return (loaded.driver as SecretStoreDriver).getSecret(name, {});
  }

  private factoryFor(spec: ComponentSpec): () => Component {
    const factory = this.registry.find(spec.type, spec.version);
    if (!factory) {
      throw new UnknownComponentTypeError(spec.type, spec.version, this.registry.knownTypes(), spec.source, spec.name);
    }
    return factory;
  }

  private initTimeoutOf(spec: ComponentSpec): number {
    const ms = parseDuration(spec.initTimeout);
    if (ms === undefined || ms <= 0) {
      throw new ComponentConfigError(
        `component "${spec.name}": initTimeout "${spec.initTimeout}" is not a positive Go duration such as 5s`,
        spec.source,
        spec.name,
        'spec.initTimeout',
      );
    }
    return ms;
  }

  private inScope(scopes: string[]): boolean {
    return scopes.length === 0 || scopes.includes(this.options.appId);
  }

  /** The component of that kind and name; throws a typed not-found error listing the known ones. */
  get<T extends Component>(kind: string, name: string, errorCode?: string): LoadedComponent<T> {
    const c = this.components.get(name);
    if (!c || c.kind !== kind) {
      throw new ComponentNotFoundError(kind, name, this.names(kind), errorCode);
    }
    return c as LoadedComponent<T>;
  }

  find<T extends Component>(kind: string, name: string): LoadedComponent<T> | undefined {
    const c = this.components.get(name);
    return c && c.kind === kind ? (c as LoadedComponent<T>) : undefined;
  }

  list(kind?: string): LoadedComponent[] {
    return [...this.components.values()].filter((c) => kind === undefined || c.kind === kind);
  }

  names(kind?: string): string[] {
    return this.list(kind).map((c) => c.name);
  }

  /** Non-Component resources of one kind (Subscription, Resiliency, Configuration). */
  resourcesOf(kind: string): DaprResource[] {
    return this.resources.filter((r) => r.kind === kind);
  }

  /** Pings every component (bounded by a timeout); drivers without `ping` count as up. */
  async health(): Promise<ComponentHealth[]> {
    return Promise.all(
      this.list().map(async (c): Promise<ComponentHealth> => {
        if (!c.driver.ping) return { name: c.name, type: c.type, status: 'up' };
        try {
          await withTimeout(c.driver.ping(), PING_TIMEOUT_MS, () => new Error(`ping timed out after ${PING_TIMEOUT_MS} ms`));
          return { name: c.name, type: c.type, status: 'up' };
        } catch (err) {
          return { name: c.name, type: c.type, status: 'down', error: (err as Error).message };
        }
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  /** Closes in reverse start order so secret stores outlive their users. */
  private async closeAll(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.components.values()].reverse()) {
      try {
        await c.driver.close?.();
      } catch (err) {
        this.logger.warn(`closing component "${c.name}" failed: ${(err as Error).message}`);
      }
    }
    this.components.clear();
    trackRunningRedactor(this.redactor, false);
    this.redactor.clear();
  }
}

function isSecretRef(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'secretKeyRef' in value;
}

function partition<T>(items: T[], pred: (t: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const i of items) (pred(i) ? yes : no).push(i);
  return [yes, no];
}
