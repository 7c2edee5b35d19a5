import type { ComponentMetadata } from '../../component.spi';
import type { MetadataOrigin } from './metadata-decoder';

/**
 * A name resolver's settings as decoder input. Dapr hands a resolver the
 * Configuration's `nameResolution.configuration` mapping and decodes it with
 * `kitmd.DecodeMetadata`, like component metadata; here its scalars become
 * their text (nested values JSON), under the declared schema's rules. The
 * `properties` of a resolver declared as a component win over it, and
 * `defaults` (a resolver constructed with settings, e.g. in tests) lose to both.
 */
export function resolverMetadataOrigin(
  md: ComponentMetadata | undefined,
  fallbackName: string,
  defaults: Readonly<Record<string, unknown>> = {},
): MetadataOrigin {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...defaults, ...(md?.configuration ?? {}) })) {
    if (value === undefined || value === null) continue;
    properties[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return {
    name: md?.name ?? fallbackName,
    properties: { ...properties, ...(md?.properties ?? {}) },
    source: md?.source,
    fieldSources: md?.fieldSources,
  };
}
