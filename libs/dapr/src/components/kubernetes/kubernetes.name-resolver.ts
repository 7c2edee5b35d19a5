import type { ComponentMetadata } from '../../spi/component.spi';
import type { NameResolverDriver, ResolveRequest } from '../../spi/name-resolver.spi';
import { decodeMetadata, metadataError, resolverMetadataOrigin } from '../../spi/kit/metadata';
import { KUBERNETES_NAME_RESOLVER_METADATA } from './kubernetes.metadata';

const TYPE = 'nameresolution.kubernetes';
const DEFAULT_TEMPLATE = '{appId}.{namespace}.svc.{clusterDomain}:{port}';
const PLACEHOLDER = /\{(\w+)\}/g;
const PLACEHOLDERS = new Set(['appId', 'namespace', 'clusterDomain', 'port']);

/**
 * Resolves through cluster DNS: `{appId}.{namespace}.svc.cluster.local:{port}`
 * (Dapr's kubernetes resolver, minus the `-dapr` sidecar service suffix, since
 * the app itself serves the methods). Configuration: `clusterDomain`
 * (default `cluster.local`), `port` (default 80), `scheme` (default http),
 * `namespace` (default the app's namespace, else `default`) and an optional
 * `template` using `{appId}`, `{namespace}`, `{clusterDomain}` and `{port}`
 * (KUBERNETES_NAME_RESOLVER_METADATA, decoded with Dapr's rules).
 * An id written `app.namespace` targets that namespace.
 */
export class KubernetesNameResolver implements NameResolverDriver {
  private template = DEFAULT_TEMPLATE;
  private clusterDomain = 'cluster.local';
  private port = '80';
  private scheme = 'http';
  private namespace = 'default';

  constructor(private readonly configuration: Record<string, unknown> = {}) {}

  async init(metadata?: ComponentMetadata): Promise<void> {
    const origin = resolverMetadataOrigin(metadata, TYPE, this.configuration);
    const c = decodeMetadata(KUBERNETES_NAME_RESOLVER_METADATA, origin);
    // Dapr ignores an empty clusterDomain or template and keeps its default.
    this.clusterDomain = c.clusterDomain || 'cluster.local';
    this.template = c.template || DEFAULT_TEMPLATE;
    this.port = String(c.port);
    this.scheme = c.scheme;
    this.namespace = c.namespace || metadata?.namespace || 'default';
    if (this.template.includes('{{')) {
      throw metadataError(origin, 'template', 'is a Go template (Dapr\'s {{.ID}} form); nest-dapr takes {appId}, {namespace}, {clusterDomain} and {port}');
    }
    const unknown = [...this.template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((p) => !PLACEHOLDERS.has(p));
    if (unknown.length) {
      throw metadataError(origin, 'template', `uses {${unknown[0]}}; the placeholders are {appId}, {namespace}, {clusterDomain} and {port}`);
    }
  }

  features(): readonly string[] {
    return [];
  }

  async resolve(req: ResolveRequest): Promise<string> {
    return this.resolveNow(req);
  }

  resolveNow(req: ResolveRequest): string {
    const dot = req.appId.indexOf('.');
    const appId = dot < 0 ? req.appId : req.appId.slice(0, dot);
    const namespace = dot < 0 ? (req.namespace ?? this.namespace) : req.appId.slice(dot + 1);
    const host = this.template
      .replaceAll('{appId}', appId)
      .replaceAll('{namespace}', namespace)
      .replaceAll('{clusterDomain}', this.clusterDomain)
      .replaceAll('{port}', this.port);
    return `${this.scheme}://${host}`;
  }
}
