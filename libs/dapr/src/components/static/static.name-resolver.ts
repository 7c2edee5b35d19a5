import type { ComponentMetadata } from '../../spi/component.spi';
import type { NameResolverDriver, ResolveRequest } from '../../spi/name-resolver.spi';
import { ComponentConfigError } from '../../errors/component-config.error';
import { AppNotFoundError } from '../../errors/invocation.errors';

const TYPE = 'nameresolution.static';

/**
 * A fixed map from app id to one or more base URLs:
 * `configuration: { apps: { checkout: 'http://127.0.0.1:3002' } }` (a string,
 * a comma-separated string or a list). Several addresses are used round-robin.
 * As a YAML component, each metadata entry `<appId>: <url[,url]>` adds an app.
 */
export class StaticNameResolver implements NameResolverDriver {
  private readonly apps = new Map<string, { addresses: string[]; next: number }>();

  constructor(private readonly configuration: Record<string, unknown> = {}) {}

  async init(metadata?: ComponentMetadata): Promise<void> {
    const apps = metadata?.configuration?.apps ?? this.configuration.apps ?? {};
    if (typeof apps !== 'object' || apps === null || Array.isArray(apps)) {
      throw new ComponentConfigError(`${TYPE}: configuration.apps must map app ids to URLs`, undefined, TYPE, 'configuration.apps');
    }
    for (const [appId, value] of Object.entries(apps as Record<string, unknown>)) this.add(appId, value, `configuration.apps.${appId}`);
    for (const [appId, value] of Object.entries(metadata?.properties ?? {})) this.add(appId, value, `metadata.${appId}`);
  }

  features(): readonly string[] {
    return [];
  }

  async resolve(req: ResolveRequest): Promise<string> {
    return this.resolveNow(req);
  }

  resolveNow(req: ResolveRequest): string {
    // Dapr accepts `app.namespace`; the static map may list either form.
    const entry = this.apps.get(req.appId) ?? this.apps.get(req.appId.split('.')[0]);
    if (!entry) throw new AppNotFoundError(req.appId, 'static', `known app ids: ${[...this.apps.keys()].join(', ') || 'none'}`);
    const { addresses } = entry;
    if (addresses.length === 1) return addresses[0];
    const address = addresses[entry.next % addresses.length];
    entry.next = (entry.next + 1) % addresses.length;
    return address;
  }

  private add(appId: string, value: unknown, field: string): void {
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
    const addresses = list.map((v) => normaliseAddress(v, field)).filter((a) => a !== '');
    if (addresses.length === 0) throw new ComponentConfigError(`${TYPE}: ${field} lists no address`, undefined, TYPE, field);
    this.apps.set(appId, { addresses, next: 0 });
  }
}

function normaliseAddress(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ComponentConfigError(`${TYPE}: ${field} must be a URL string`, undefined, TYPE, field);
  const text = v.trim();
  if (text === '') return '';
  const withScheme = /^https?:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ComponentConfigError(`${TYPE}: ${field} "${text}" is not a URL such as http://127.0.0.1:3002`, undefined, TYPE, field);
  }
  return url.origin;
}
