import type { ComponentMetadata } from '../../spi/component.spi';
import type { NameResolverDriver, ResolveRequest } from '../../spi/name-resolver.spi';
import { ComponentConfigError } from '../../errors/component-config.error';

const TYPE = 'nameresolution.kubernetes';
const DEFAULT_TEMPLATE = '{appId}.{namespace}.svc.{clusterDomain}:{port}';

/**
 * Resolves through cluster DNS: `{appId}.{namespace}.svc.cluster.local:{port}`
 * (Dapr's kubernetes resolver, minus the `-dapr` sidecar service suffix, since
 * the app itself serves the methods). Configuration: `clusterDomain`
 * (default `cluster.local`), `port` (default 80), `scheme` (default http),
 * `namespace` (default the app's namespace, else `default`) and an optional
 * `template` using `{appId}`, `{namespace}`, `{clusterDomain}` and `{port}`.
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
    const c: Record<string, unknown> = { ...this.configuration, ...(metadata?.configuration ?? {}), ...(metadata?.properties ?? {}) };
    if (c.template !== undefined) this.template = String(c.template);
    if (c.clusterDomain !== undefined) this.clusterDomain = String(c.clusterDomain);
    if (c.port !== undefined) this.port = String(c.port);
    if (c.scheme !== undefined) this.scheme = String(c.scheme);
    this.namespace = String(c.namespace ?? metadata?.namespace ?? 'default');
    if (!/^\d+$/.test(this.port) || Number(this.port) < 1 || Number(this.port) > 65535) {
      throw new ComponentConfigError(`${TYPE}: port "${this.port}" is not a TCP port`, undefined, TYPE, 'configuration.port');
    }
    if (this.scheme !== 'http' && this.scheme !== 'https') {
      throw new ComponentConfigError(`${TYPE}: scheme must be http or https`, undefined, TYPE, 'configuration.scheme');
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
