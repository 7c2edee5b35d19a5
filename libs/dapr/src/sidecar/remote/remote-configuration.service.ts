import { Logger } from '@nestjs/common';
import type { ConfigurationGetResponse, ConfigurationHandler, ConfigurationItem, ConfigurationSubscription } from '../../configuration/configuration.interfaces';
import { ConfigurationRequestError, ConfigurationUnsubscribeError } from '../../errors/configuration.errors';
import { seg } from './request-paths';
import type { SidecarClient } from './sidecar-client';

/** One item as daprd marshals it (empty fields left out). */
interface WireItem {
  value?: string;
  version?: string;
  metadata?: Record<string, string>;
}

/**
 * `ConfigurationService` in sidecar mode: daprd's configuration API. A
 * subscription is made over HTTP, so daprd POSTs each change to this app at
 * `/configuration/<store>/<key>`; AppCallbacks serves that route and hands
 * the event to `deliver`, which calls the subscription's handler once per
 * event (daprd posts the whole event once per changed key).
 */
export class RemoteConfigurationService {
  private readonly logger = new Logger('DaprSidecarMode');
  private readonly live = new Map<string, { store: string; handler: ConfigurationHandler }>();

  constructor(private readonly client: SidecarClient) {}

  async get(store: string, keys: string[] = [], metadata: Record<string, string> = {}): Promise<ConfigurationGetResponse> {
    checkKeys(store, keys);
    const res = await this.client.call({ method: 'GET', path: `/v1.0/configuration/${seg(store)}${keysQuery(keys, metadata)}` });
    if (res.status === 204 || res.body.length === 0) return { items: {} };
    return { items: fromWire(JSON.parse(res.body.toString('utf8')) as Record<string, WireItem>) };
  }

  async subscribe(store: string, keys: string[], handler: ConfigurationHandler, metadata: Record<string, string> = {}): Promise<ConfigurationSubscription> {
    checkKeys(store, keys);
    if (typeof handler !== 'function') throw new ConfigurationRequestError(store, 'subscribe needs a handler function');
    const res = await this.client.call({ method: 'GET', path: `/v1.0/configuration/${seg(store)}/subscribe${keysQuery(keys, metadata)}` });
    const { id } = JSON.parse(res.body.toString('utf8')) as { id: string };
    this.live.set(id, { store, handler });
    return { id, unsubscribe: () => this.unsubscribe(id) };
  }

  async unsubscribe(id: string): Promise<void> {
    const sub = this.live.get(id);
    if (!sub) throw new ConfigurationUnsubscribeError(id, 'subscription does not exist');
    this.live.delete(id);
    await this.client.call({ method: 'GET', path: `/v1.0/configuration/${seg(sub.store)}/${seg(id)}/unsubscribe` });
  }

  /**
   * An update daprd POSTed for `key`: runs the subscription's handler when
   * `key` is the event's first key (the other posts of the same event are
   * answered without running it again). Resolves false for an unknown id.
   */
  async deliver(key: string, event: { id?: string; items?: Record<string, WireItem> }): Promise<boolean> {
    const sub = event.id === undefined ? undefined : this.live.get(event.id);
    if (!sub) return false;
    const keys = Object.keys(event.items ?? {});
    if (keys[0] !== key) return true;
    await sub.handler(fromWire(event.items!));
    return true;
  }

  /** Ends the app's subscriptions in daprd before it goes away. */
  async beforeApplicationShutdown(): Promise<void> {
    const ids = [...this.live.keys()];
    await Promise.all(ids.map((id) => this.unsubscribe(id).catch((err: Error) => this.logger.warn(`unsubscribing configuration ${id}: ${err.message}`))));
  }
}

function checkKeys(store: string, keys: unknown): void {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw new ConfigurationRequestError(store, 'keys must be an array of strings');
}

function keysQuery(keys: string[], metadata: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const k of keys) q.append('key', k);
  for (const k in metadata) q.set(`metadata.${k}`, metadata[k]);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function fromWire(items: Record<string, WireItem>): Record<string, ConfigurationItem> {
  const out: Record<string, ConfigurationItem> = {};
  for (const key in items) {
    const i = items[key] ?? {};
    out[key] = { key, value: i.value ?? '', version: i.version ?? '', metadata: { ...i.metadata } };
  }
  return out;
}
