import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import {
  ComponentConfigError,
  ComponentYamlError,
  DuplicateComponentError,
  type ConfigSource,
} from '../errors/component-config.error';
import type { ComponentDefinition, ComponentSpec, DaprResource, MetadataValue } from './component-definition';

/** Resource kinds the runtime understands; the last three are handed to their blocks. */
export const KNOWN_KINDS = ['Component', 'Subscription', 'Resiliency', 'Configuration'] as const;

/** A document the loader passed over, as daprd does (another kind such as `HTTPEndpoint`, or another apiVersion). */
export interface SkippedResource {
  kind: string;
  apiVersion: string;
  name?: string;
  source: ConfigSource;
  reason: string;
}

export interface LoadedResources {
  components: ComponentSpec[];
  resources: DaprResource[];
  /** Documents skipped on purpose; the runtime logs them. */
  skipped: SkippedResource[];
}

/** Reads every `*.yaml`/`*.yml` of a folder (sorted, so load order is stable). */
export function loadComponentsPath(dir: string): LoadedResources {
  const root = resolve(dir);
  let names: string[];
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    names = readdirSync(root);
  } catch (err) {
    throw new ComponentConfigError(
      `componentsPath "${dir}" cannot be read: ${(err as Error).message}`,
      { file: root },
      undefined,
      'componentsPath',
    );
  }
  const out: LoadedResources = { components: [], resources: [], skipped: [] };
  for (const name of names.filter((n) => /\.ya?ml$/i.test(n)).sort()) {
    const file = join(root, name);
    const loaded = parseResourceFile(readFileSync(file, 'utf8'), file);
    out.components.push(...loaded.components);
    out.resources.push(...loaded.resources);
    out.skipped.push(...loaded.skipped);
  }
  return out;
}

/** Parses one file that may hold several YAML documents separated by `---`. */
export function parseResourceFile(text: string, file: string): LoadedResources {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const out: LoadedResources = { components: [], resources: [], skipped: [] };
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const firstError = doc.errors[0];
    if (firstError) {
      const line = firstError.linePos?.[0]?.line ?? lineCounter.linePos(firstError.pos[0]).line;
      throw new ComponentYamlError(`invalid YAML: ${firstError.message.split('\n')[0]}`, { file, line });
    }
    const js: unknown = doc.toJS();
    if (js === null || js === undefined) continue; // empty document, e.g. a trailing `---`
    const at = (path: (string | number)[]): ConfigSource => ({ file, line: lineOf(doc, path, lineCounter) });
    if (typeof js !== 'object' || Array.isArray(js)) {
      throw new ComponentConfigError('a resource document must be a mapping', at([]));
    }
    const res = js as Record<string, unknown>;
    const kind = res.kind;
    if (typeof kind !== 'string' || kind === '') {
      throw new ComponentConfigError('a resource document needs a kind', at(['kind']), undefined, 'kind');
    }
    const meta = (res.metadata ?? {}) as Record<string, unknown>;
    // daprd loads each kind it knows from the resources folder and passes over the rest
    // (HTTPEndpoint, MCPServer, another apiVersion...), so one folder can serve both.
    const skip = skipReason(kind, res.apiVersion);
    if (skip) {
      out.skipped.push({
        kind,
        apiVersion: String(res.apiVersion ?? ''),
        name: typeof meta.name === 'string' ? meta.name : undefined,
        source: at([]),
        reason: skip,
      });
      continue;
    }
    const name = meta.name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new ComponentConfigError(`${kind} has no metadata.name`, at(['metadata']), undefined, 'metadata.name');
    }
    const scopes = readScopes(res.scopes, at(['scopes']), name);
    if (kind === 'Component') {
      out.components.push(toComponentSpec(res, name, scopes, at));
    } else {
      const spec = res.spec ?? {};
      if (typeof spec !== 'object' || Array.isArray(spec)) {
        throw new ComponentConfigError(`${kind} "${name}": spec must be a mapping`, at(['spec']), name, 'spec');
      }
      out.resources.push({
        apiVersion: String(res.apiVersion ?? ''),
        kind,
        name,
        spec: spec as Record<string, unknown>,
        scopes,
        source: at([]),
      });
    }
  }
  return out;
}

/** API versions daprd reads per kind (a Subscription is v2alpha1 or the older v1alpha1). */
const API_VERSIONS: Record<(typeof KNOWN_KINDS)[number], readonly string[]> = {
  Component: ['dapr.io/v1alpha1'],
  Subscription: ['dapr.io/v2alpha1', 'dapr.io/v1alpha1'],
  Resiliency: ['dapr.io/v1alpha1'],
  Configuration: ['dapr.io/v1alpha1'],
};

function skipReason(kind: string, apiVersion: unknown): string | undefined {
  const versions = API_VERSIONS[kind as (typeof KNOWN_KINDS)[number]];
  if (!versions) return `kind ${kind} is not one nest-dapr loads (${KNOWN_KINDS.join(', ')})`;
  // A missing apiVersion is accepted for convenience; daprd requires it.
  if (apiVersion !== undefined && !versions.includes(String(apiVersion))) {
    return `${kind} apiVersion ${JSON.stringify(apiVersion)} is not ${versions.join(' or ')}`;
  }
  return undefined;
}

function toComponentSpec(
  res: Record<string, unknown>,
  name: string,
  scopes: string[],
  at: (path: (string | number)[]) => ConfigSource,
): ComponentSpec {
  const spec = res.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') {
    throw new ComponentConfigError(`component "${name}" has no spec`, at([]), name, 'spec');
  }
  if (typeof spec.type !== 'string' || !spec.type.includes('.')) {
    throw new ComponentConfigError(
      `component "${name}": spec.type must be a string such as state.redis`,
      at(['spec', 'type']),
      name,
      'spec.type',
    );
  }
  const rawItems = spec.metadata ?? [];
  if (!Array.isArray(rawItems)) {
    throw new ComponentConfigError(
      `component "${name}": spec.metadata must be a list of {name, value}`,
      at(['spec', 'metadata']),
      name,
      'spec.metadata',
    );
  }
  const metadata = rawItems.map((item: unknown, i: number) => {
    const where = at(['spec', 'metadata', i]);
    return toMetadataItem(item, name, `spec.metadata[${i}]`, where);
  });
  const auth = res.auth as Record<string, unknown> | undefined;
  const meta = res.metadata as Record<string, unknown>;
  return {
    name,
    type: spec.type,
    version: spec.version === undefined || spec.version === '' ? 'v1' : String(spec.version),
    metadata,
    scopes,
    initTimeout: spec.initTimeout === undefined ? '5s' : String(spec.initTimeout),
    ignoreErrors: spec.ignoreErrors === true || spec.ignoreErrors === 'true',
    secretStore: typeof auth?.secretStore === 'string' ? auth.secretStore : undefined,
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    source: at([]),
  };
}

function toMetadataItem(
  item: unknown,
  component: string,
  field: string,
  source: ConfigSource,
): { name: string; value: MetadataValue; source: ConfigSource } {
  if (!item || typeof item !== 'object' || typeof (item as { name?: unknown }).name !== 'string') {
    throw new ComponentConfigError(
      `component "${component}": ${field} must have a name`,
      source,
      component,
      field,
    );
  }
  const { name, value, secretKeyRef, envRef } = item as Record<string, unknown>;
  const itemName = name as string;
  if (secretKeyRef !== undefined) {
    const ref = secretKeyRef as Record<string, unknown>;
    if (!ref || typeof ref.name !== 'string') {
      throw new ComponentConfigError(
        `component "${component}": ${field} (${itemName}) secretKeyRef needs a name`,
        source,
        component,
        itemName,
      );
    }
    // Dapr uses the secret name as the key when no key is given.
    const key = typeof ref.key === 'string' && ref.key !== '' ? ref.key : ref.name;
    return { name: itemName, value: { secretKeyRef: { name: ref.name, key } }, source };
  }
  if (envRef !== undefined) {
    if (typeof envRef !== 'string' || envRef === '') {
      throw new ComponentConfigError(
        `component "${component}": ${field} (${itemName}) envRef must name an environment variable`,
        source,
        component,
        itemName,
      );
    }
    return { name: itemName, value: { envRef }, source };
  }
  if (value !== null && typeof value === 'object') {
    // Dapr accepts structured values and hands them to drivers as JSON text.
    return { name: itemName, value: JSON.stringify(value), source };
  }
  return { name: itemName, value: value === undefined || value === null ? '' : (value as string | number | boolean), source };
}

function readScopes(raw: unknown, source: ConfigSource, name: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string')) {
    throw new ComponentConfigError(`"${name}": scopes must be a list of app ids`, source, name, 'scopes');
  }
  return raw as string[];
}

function lineOf(doc: Document.Parsed, path: (string | number)[], lineCounter: LineCounter): number | undefined {
  let node: unknown = path.length ? doc.getIn(path, true) : doc.contents;
  // Walk up to the nearest ancestor that exists so the line is still useful.
  for (let p = path.slice(); !hasRange(node) && p.length; ) {
    p = p.slice(0, -1);
    node = p.length ? doc.getIn(p, true) : doc.contents;
  }
  return hasRange(node) ? lineCounter.linePos(node.range[0]).line : undefined;
}

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return !!node && typeof node === 'object' && Array.isArray((node as { range?: unknown }).range);
}

/** Converts inline `components` option entries to the shared spec shape. */
export function fromDefinitions(defs: ComponentDefinition[]): ComponentSpec[] {
  return defs.map((def, i) => {
    const source: ConfigSource = { file: `components[${i}] (inline)` };
    if (!def || typeof def.name !== 'string' || def.name === '') {
      throw new ComponentConfigError('an inline component needs a name', source, undefined, 'name');
    }
    if (typeof def.type !== 'string' || !def.type.includes('.')) {
      throw new ComponentConfigError(
        `component "${def.name}": type must be a string such as state.redis`,
        source,
        def.name,
        'type',
      );
    }
    return {
      name: def.name,
      type: def.type,
      version: def.version ?? 'v1',
      metadata: Object.entries(def.metadata ?? {}).map(([name, value]) =>
        toMetadataItem({ name, ...inlineValue(value) }, def.name, `metadata.${name}`, source),
      ),
      scopes: def.scopes ?? [],
      initTimeout: def.initTimeout ?? '5s',
      ignoreErrors: def.ignoreErrors ?? false,
      secretStore: def.secretStore,
      source,
    };
  });
}

function inlineValue(value: MetadataValue): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    if ('secretKeyRef' in value) return { secretKeyRef: value.secretKeyRef };
    if ('envRef' in value) return { envRef: value.envRef };
  }
  return { value };
}

/** Fails on two components with one name, naming both origins. */
export function assertUniqueNames(components: ComponentSpec[]): void {
  const seen = new Map<string, ComponentSpec>();
  for (const c of components) {
    const prev = seen.get(c.name);
    if (prev) throw new DuplicateComponentError(c.name, prev.source, c.source);
    seen.set(c.name, c);
  }
}
