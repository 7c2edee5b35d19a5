import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  ConfigurationGetError,
  ConfigurationRequestError,
  ConfigurationStoreNotFoundError,
  ConfigurationSubscribeError,
  ConfigurationUnsubscribeError,
} from '../errors/configuration.errors';
import { DaprError } from '../errors/dapr.error';
import { inboundPolicyFor } from '../handlers/inbound-policy';
import type { InboundOperation, OutboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime } from '../runtime/component-runtime';
import type { ConfigurationItems, ConfigurationStoreDriver, ConfigurationUnsubscribe } from '../spi/configuration.spi';
import type { ConfigurationGetResponse, ConfigurationHandler, ConfigurationItem, ConfigurationSubscription } from './configuration.interfaces';

/** One configuration component as the block sees it, resolved once. */
interface ConfigurationTarget {
  name: string;
  type: string;
  driver: ConfigurationStoreDriver;
  get: OutboundOperation<readonly string[]>;
  subscribe: OutboundOperation<readonly string[]>;
  unsubscribe: OutboundOperation<string>;
  update: InboundOperation<undefined>;
}

const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Dapr's configuration API (mirrors `client.configuration` of @dapr/dapr):
 * read items with their versions and watch keys for changes. Every call runs
 * under the component's outbound resiliency policy with a
 * `configuration/<store>/<op>` span and `dapr_component_configuration_*`
 * metrics; every update reaches the handler under the component's inbound
 * policy, one at a time per subscription.
 */
@Injectable()
export class ConfigurationService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('DaprConfiguration');
  private readonly targets = new Map<string, ConfigurationTarget>();
  private readonly live = new Map<string, { store: string; stop: ConfigurationUnsubscribe }>();
  private stopping = false;

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  /** Items of `keys` in `store` (every item when `keys` is empty or missing); absent keys are left out. */
  async get(store: string, keys: string[] = [], metadata: Record<string, string> = NO_METADATA): Promise<ConfigurationGetResponse> {
    const target = this.target(store);
    checkKeys(store, keys);
    const items = await this.runner.run(target.get, keys, () => target.driver.get(keys, metadata));
    return { items: withKeys(items) };
  }

  /**
   * Calls `handler` with the changed items every time one of `keys` changes
   * (every key when `keys` is empty). `metadata` goes to the store as Dapr's
   * subscribe request metadata (e.g. `pgNotifyChannel` for PostgreSQL). The
   * subscription survives a restart of the store's server: the driver
   * reconnects and reports what changed meanwhile.
   */
  async subscribe(
    store: string,
    keys: string[],
    handler: ConfigurationHandler,
    metadata: Record<string, string> = NO_METADATA,
  ): Promise<ConfigurationSubscription> {
    const target = this.target(store);
    checkKeys(store, keys);
    if (typeof handler !== 'function') throw new ConfigurationRequestError(store, 'subscribe needs a handler function');
    const id = randomUUID();
    const onUpdate = async (items: ConfigurationItems) => {
      const view = withKeys(items);
      try {
        await this.runner.deliver(target.update, undefined, async () => handler(view));
      } catch (err) {
        this.logger.warn(`configuration store "${store}": update handler of subscription ${id} failed: ${(err as Error)?.message ?? String(err)}`);
      }
    };
    const stop = await this.runner.run(target.subscribe, keys, () => target.driver.subscribe([...keys], metadata, onUpdate));
    this.live.set(id, { store, stop });
    return { id, unsubscribe: () => this.unsubscribe(id) };
  }

  /** Stops subscription `id`; unknown ids fail as Dapr's `ERR_CONFIGURATION_UNSUBSCRIBE`. */
  async unsubscribe(id: string): Promise<void> {
    const sub = this.live.get(id);
    if (!sub) throw new ConfigurationUnsubscribeError(id, 'subscription does not exist');
    this.live.delete(id);
    const target = this.target(sub.store);
    await this.runner.run(target.unsubscribe, id, () => sub.stop());
  }

  /** Stops every subscription before the components close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(all.map((s) => s.stop()));
  }

  private target(name: string): ConfigurationTarget {
    let target = this.targets.get(name);
    if (target) return target;
    const loaded = this.runtime.find<ConfigurationStoreDriver>('configuration', name);
    if (!loaded) throw new ConfigurationStoreNotFoundError(name, this.runtime.names('configuration'));
    const { tracer, metrics } = this.runner;
    const policy = this.resiliency?.policyFor({ kind: 'component', name, direction: 'outbound' });
    const op = <D>(operation: 'get' | 'subscribe' | 'unsubscribe', toError: (err: unknown, detail: D) => Error): OutboundOperation<D> => ({
      policy,
      startSpan: () => tracer.startConfigurationSpan(name, operation, loaded.type),
      record: (error, elapsedMs) => metrics.configurationOperation(name, operation, error === undefined, elapsedMs),
      toError: (err, detail) => (err instanceof DaprError ? err : toError(err, detail)),
    });
    target = {
      name,
      type: loaded.type,
      driver: loaded.driver,
      get: op<readonly string[]>('get', (err, keys) => new ConfigurationGetError(name, keys, err)),
      subscribe: op<readonly string[]>('subscribe', (err, keys) => new ConfigurationSubscribeError(name, keys, err)),
      unsubscribe: op<string>('unsubscribe', (err, id) => new ConfigurationUnsubscribeError(id, (err as Error)?.message ?? String(err), err)),
      update: {
        policy: inboundPolicyFor(this.resiliency, name, () => this.stopping),
        startSpan: () => tracer.startConfigurationUpdateSpan(name, loaded.type),
      },
    };
    this.targets.set(name, target);
    return target;
  }
}

function checkKeys(store: string, keys: unknown): void {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new ConfigurationRequestError(store, 'keys must be an array of strings');
  }
}

/** The store's items with their keys, as @dapr/dapr's ConfigurationItem carries them. */
function withKeys(items: ConfigurationItems): Record<string, ConfigurationItem> {
  const out: Record<string, ConfigurationItem> = {};
  for (const key in items) {
    const i = items[key];
    out[key] = { key, value: i.value, version: i.version, metadata: { ...i.metadata } };
  }
  return out;
}
