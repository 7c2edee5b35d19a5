import type { ComponentRuntime } from '../runtime/component-runtime';
import type { ActiveInputBinding } from './app-channel/app-bindings';
import type { AppSubscription } from './app-channel/app-subscription';
import type { SidecarOptions } from './sidecar-options';

/** The runtime version reported by the metadata API. */
export const SIDECAR_RUNTIME_VERSION = 'nest-dapr';

/** One component as the metadata API lists it. */
export interface ComponentMetadataView {
  name: string;
  type: string;
  version: string;
  capabilities: string[];
}

/**
 * What `GET /v1.0/metadata` (and gRPC GetMetadata) reports: app id, runtime
 * version, components with their capabilities, the app's subscriptions,
 * extended attributes set with `PUT /v1.0/metadata/<key>`, and how the
 * sidecar reaches the app.
 */
export class SidecarMetadata {
  readonly extended = new Map<string, string>();
  subscriptions: () => readonly AppSubscription[] = () => [];
  inputBindings: () => readonly ActiveInputBinding[] = () => [];
  appConfig?: Record<string, unknown>;

  constructor(
    private readonly options: SidecarOptions,
    private readonly runtime: () => ComponentRuntime | undefined,
  ) {}

  components(): ComponentMetadataView[] {
    const runtime = this.runtime();
    if (!runtime) return [];
    return runtime.list().map((c) => ({
      name: c.name,
      type: c.type,
      version: c.version,
      capabilities: capabilitiesOf(c.kind, c.driver),
    }));
  }

  toJSON(): Record<string, unknown> {
    const o = this.options;
    const connection: Record<string, unknown> = {
      protocol: o.appProtocol,
      channelAddress: o.appChannelAddress,
    };
    if (o.appPort !== undefined) connection.port = o.appPort;
    if (o.appMaxConcurrency !== undefined) connection.maxConcurrency = o.appMaxConcurrency;
    if (o.appHealth) {
      connection.health = {
        healthCheckPath: o.appHealth.path,
        healthProbeInterval: `${o.appHealth.intervalMs / 1000}s`,
        healthProbeTimeout: `${o.appHealth.timeoutMs}ms`,
        healthThreshold: o.appHealth.threshold,
      };
    }
    return {
      id: o.appId,
      runtimeVersion: SIDECAR_RUNTIME_VERSION,
      enabledFeatures: [],
      actors: [],
      components: this.components(),
      extended: Object.fromEntries(this.extended),
      subscriptions: this.subscriptions().map(subscriptionView),
      httpEndpoints: [],
      appConnectionProperties: connection,
    };
  }
}

function subscriptionView(s: AppSubscription): Record<string, unknown> {
  const view: Record<string, unknown> = {
    pubsubname: s.pubsubname,
    topic: s.topic,
    rules: s.routes.map((r) => (r.match ? { match: r.match, path: r.path } : { path: r.path })),
    type: s.type,
  };
  if (Object.keys(s.metadata).length) view.metadata = s.metadata;
  if (s.deadLetterTopic) view.deadLetterTopic = s.deadLetterTopic;
  return view;
}

function capabilitiesOf(kind: string, driver: { features(): readonly string[]; read?: unknown; invoke?: unknown }): string[] {
  if (kind === 'bindings') {
    const caps: string[] = [];
    if (typeof driver.read === 'function') caps.push('INPUT_BINDING');
    if (typeof driver.invoke === 'function') caps.push('OUTPUT_BINDING');
    return caps;
  }
  try {
    return [...driver.features()];
  } catch {
    return [];
  }
}
