import type { ConfigSource } from '../errors/component-config.error';

export type MetadataValue =
  | string
  | number
  | boolean
  | { secretKeyRef: { name: string; key: string } }
  | { envRef: string };

/** A component as the application writes it inline: the YAML's fields (README "Wire the module"). */
export interface ComponentDefinition {
  name: string;
  type: string;
  version?: string;
  metadata?: Record<string, MetadataValue>;
  scopes?: string[];
  initTimeout?: string;
  ignoreErrors?: boolean;
  /** Secret store used for `secretKeyRef` (YAML `auth.secretStore`). */
  secretStore?: string;
}

/** A component after loading: one shape whatever its origin (YAML or inline). */
export interface ComponentSpec {
  name: string;
  type: string;
  version: string;
  /** Metadata items, each with the file and line that sets it (inline: the component entry). */
  metadata: { name: string; value: MetadataValue; source?: ConfigSource }[];
  scopes: string[];
  initTimeout: string;
  ignoreErrors: boolean;
  secretStore?: string;
  namespace?: string;
  source: ConfigSource;
}

/** A non-Component Dapr resource (Subscription, Resiliency, Configuration). */
export interface DaprResource {
  apiVersion: string;
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  scopes: string[];
  source: ConfigSource;
}

export function componentKind(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}
