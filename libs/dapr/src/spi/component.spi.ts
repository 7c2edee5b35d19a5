/**
 * What every driver shares, modelled on components-contrib: a driver is created
 * empty by its factory, receives its resolved metadata in `init`, may answer a
 * `ping` for health, and is closed once at shutdown.
 */
import type { ConfigSource } from '../errors/component-config.error';

export type ComponentKind =
  | 'state'
  | 'pubsub'
  | 'bindings'
  | 'secretstores'
  | 'nameresolution'
  | 'configuration'
  | 'lock'
  | 'middleware';

/** Metadata handed to a driver: every value already resolved to a string. */
export interface ComponentMetadata {
  /** Component name (`metadata.name` in the YAML). */
  name: string;
  /** Full component type, e.g. `state.redis`. */
  type: string;
  /** Component version, e.g. `v1`. */
  version: string;
  /** Resolved metadata properties (secrets, env refs and templates already expanded). */
  properties: Record<string, string>;
  /** The app id of the running app. */
  appId: string;
  /** The Dapr namespace, when set. */
  namespace?: string;
  /** Where the component is defined: YAML file and line, or the inline entry. For error messages. */
  source?: ConfigSource;
  /** Where each metadata item is written (by item name), so a bad value's error names its line. */
  fieldSources?: Readonly<Record<string, ConfigSource>>;
  /**
   * Name resolvers only: `spec.nameResolution.configuration` of the app's
   * Dapr Configuration (or the module's `nameResolution` option), as Dapr
   * hands it to `nameresolution.Metadata.Configuration`.
   */
  configuration?: Record<string, unknown>;
}

export interface Component {
  /** Connects and validates metadata. Rejects with a typed error on bad configuration. */
  init(metadata: ComponentMetadata): Promise<void>;
  /** Feature flags, e.g. `ETAG`, `TRANSACTIONAL`, `BULK_PUBSUB`. */
  features(): readonly string[];
  /** Health probe; rejects when the backend is unreachable. */
  ping?(): Promise<void>;
  /** Releases connections. Called once, in `onApplicationShutdown`. */
  close?(): Promise<void>;
}
