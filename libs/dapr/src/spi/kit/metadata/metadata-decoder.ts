import { ComponentConfigError, MissingMetadataError, type ConfigSource } from '../../../errors/component-config.error';
import { didYouMean } from './did-you-mean';
import {
  isFalsy,
  isTruthy,
  nsToMs,
  parseGoBool,
  parseGoDurationNs,
  parseGoFloat,
  parseGoInt,
  parseQuantity,
} from './go-values';
import type {
  DecodedMetadata,
  MetadataDialect,
  MetadataField,
  MetadataFields,
  MetadataSchema,
} from './metadata-schema';

/** What the decoder needs from a component: its name, properties and where they were written. */
export interface MetadataOrigin {
  /** Component name. */
  name: string;
  /** Resolved metadata properties. */
  properties: Readonly<Record<string, string>>;
  /** Where the component is defined (YAML file and line, or the inline entry). */
  source?: ConfigSource;
  /** Where each metadata item is written, by item name as written. */
  fieldSources?: Readonly<Record<string, ConfigSource>>;
}

export interface DecodeOptions {
  /**
   * Maps decoded over the component's properties, later ones winning — e.g. a
   * subscription's or a request's metadata. Their keys may also be the
   * schema's `subscriptionFields`.
   */
  overrides?: readonly (Readonly<Record<string, string>> | undefined)[];
  /** Where the override maps come from, for error messages (e.g. `subscription "orders"`). */
  overrideSource?: ConfigSource;
  /** Receives warnings (a non-boolean word read as false, a deprecated name). */
  warn?: (message: string) => void;
}

interface Entry {
  key: string;
  value: string;
  source?: ConfigSource;
}

/**
 * Decodes a component's metadata with Dapr's rules (dapr/kit `DecodeMetadata`
 * or `config.Decode`, per the schema's dialect, plus the per-field exceptions
 * the declaration records): names match case-insensitively, aliases apply when
 * the canonical name is absent, text is converted per type, defaults fill the
 * gaps, and every failure is a `ComponentConfigError` naming the file, line
 * and field. Unknown keys are ignored here; `inspectMetadata` reports them.
 */
export function decodeMetadata<F extends MetadataFields>(
  schema: MetadataSchema<F>,
  md: MetadataOrigin,
  options: DecodeOptions = {},
): DecodedMetadata<F> {
  const entries = collectEntries(md, options);
  const out: Record<string, unknown> = {};
  const fields = options.overrides?.length ? { ...schema.fields, ...schema.subscriptionFields } : schema.fields;
  for (const [name, field] of Object.entries(fields)) {
    const found = lookup(entries, name, field);
    if (found && field.deprecated && options.warn) {
      options.warn(`${where(md, found)}metadata "${found.key}" is deprecated; use "${field.deprecated}"`);
    }
    const value = decodeField(schema, md, name, field, found, options.warn);
    if (value !== undefined) out[name] = value;
    if (field.required && (found === undefined || found.value === '' || value === undefined)) {
      throw new MissingMetadataError(md.name, name, found?.source ?? md.source);
    }
  }
  return out as DecodedMetadata<F>;
}

/**
 * Everything worth a warning in a component's metadata: keys no field (or
 * alias) of the schema — nor of `extraFields`, the runtime's own per-kind
 * fields — knows, with the closest known name; fields Dapr has and nest-dapr
 * does not implement; deprecated names; booleans Dapr would read as false.
 * Does not throw for those; decoding errors still throw.
 */
export function inspectMetadata(
  schema: MetadataSchema,
  md: MetadataOrigin,
  extraFields: MetadataFields = {},
  additionalKeys = false,
): string[] {
  const warnings: string[] = [];
  decodeMetadata(schema, md, { warn: (m) => warnings.push(m) });
  const known = new Map<string, { name: string; field: MetadataField }>();
  for (const fields of [schema.fields, schema.subscriptionFields ?? {}, extraFields]) {
    for (const [name, field] of Object.entries(fields)) {
      known.set(name.toLowerCase(), { name, field });
      for (const alias of field.aliases ?? []) known.set(alias.toLowerCase(), { name, field });
    }
  }
  for (const key of Object.keys(md.properties)) {
    const hit = known.get(key.toLowerCase());
    const at = where(md, { key, value: '', source: sourceOf(md, key) });
    if (!hit) {
      if (additionalKeys) continue;
      const guess = didYouMean(key, [...Object.keys(schema.fields), ...Object.keys(extraFields)]);
      warnings.push(
        `${at}unknown metadata "${key}" for ${schema.type}${guess ? `; did you mean "${guess}"?` : ' (ignored)'}`,
      );
    } else if (hit.field.support === 'unsupported') {
      warnings.push(`${at}metadata "${key}" is not supported by nest-dapr and is ignored: ${hit.field.note ?? ''}`.trim());
    }
  }
  return warnings;
}

/** A `ComponentConfigError` about one metadata field, pointing at the line that sets it. */
export function metadataError(md: MetadataOrigin, field: string, problem: string): ComponentConfigError {
  const source = sourceOf(md, field) ?? md.source;
  return new ComponentConfigError(`component "${md.name}": metadata "${field}" ${problem}`, source, md.name, field);
}

function collectEntries(md: MetadataOrigin, options: DecodeOptions): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const maps: [Readonly<Record<string, string>> | undefined, (key: string) => ConfigSource | undefined][] = [
    [md.properties, (key) => sourceOf(md, key) ?? md.source],
    ...(options.overrides ?? []).map(
      (m) => [m, () => options.overrideSource ?? md.source] as [Readonly<Record<string, string>> | undefined, () => ConfigSource | undefined],
    ),
  ];
  for (const [map, src] of maps) {
    const seen = new Map<string, string>();
    for (const [key, raw] of Object.entries(map ?? {})) {
      if (raw === undefined || raw === null) continue;
      const lower = key.toLowerCase();
      const twin = seen.get(lower);
      if (twin !== undefined) {
        // dapr/kit refuses keys that differ only in case: which one wins would be random.
        throw new ComponentConfigError(
          `component "${md.name}": metadata "${twin}" and "${key}" differ only in case; keep one`,
          src(key),
          md.name,
          key,
        );
      }
      seen.set(lower, key);
      entries.set(lower, { key, value: String(raw), source: src(key) });
    }
  }
  return entries;
}

function lookup(entries: Map<string, Entry>, name: string, field: MetadataField): Entry | undefined {
  const direct = entries.get(name.toLowerCase());
  if (direct) return direct;
  for (const alias of field.aliases ?? []) {
    const hit = entries.get(alias.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}

function decodeField(
  schema: MetadataSchema,
  md: MetadataOrigin,
  name: string,
  field: MetadataField,
  found: Entry | undefined,
  warn?: (message: string) => void,
): unknown {
  const dialect: MetadataDialect = field.dialect ?? schema.dialect;
  const when = field.defaultWhen ?? (field.type === 'enum' ? 'empty' : 'absent');
  if (found === undefined || (found.value === '' && when !== 'absent')) return defaultOf(field);
  const fail = (problem: string): ComponentConfigError =>
    new ComponentConfigError(
      `component "${md.name}": metadata "${found.key}" ${problem}`,
      found.source,
      md.name,
      name,
    );
  const value = convert(field, found.value, dialect, fail, (m) =>
    warn?.(`${where(md, found)}metadata "${found.key}" ${m}`),
  );
  if (when === 'non-positive' && typeof value === 'number' && value <= 0) return defaultOf(field);
  return value;
}

function convert(
  field: MetadataField,
  text: string,
  dialect: MetadataDialect,
  fail: (problem: string) => ComponentConfigError,
  warn: (message: string) => void,
): unknown {
  const loose = dialect === 'metadata';
  switch (field.type) {
    case 'string':
      return text;
    case 'bool': {
      if (!loose) {
        const b = parseGoBool(text);
        if (b === undefined) throw fail(`"${text}" is not a boolean (true, false, 1, 0, t, f)`);
        return b;
      }
      const truthy = isTruthy(text);
      if (!truthy && !isFalsy(text)) warn(`"${text}" is not a boolean word; it reads as false, as in Dapr`);
      return truthy;
    }
    case 'int': {
      const n = parseGoInt(loose && text === '' ? '0' : text, loose ? 0 : 10, field.bits ?? 64, field.unsigned ?? false);
      if (n === undefined) throw fail(`"${text}" is not ${field.unsigned ? 'a non-negative' : 'an'} integer${rangeHint(field)}`);
      if (field.min !== undefined && n < field.min) throw fail(`must be at least ${field.min}, got ${n}`);
      if (field.max !== undefined && n > field.max) throw fail(`must be at most ${field.max}, got ${n}`);
      return n;
    }
    case 'float': {
      const n = parseGoFloat(loose && text === '' ? '0' : text);
      if (n === undefined) throw fail(`"${text}" is not a number`);
      if (field.min !== undefined && n < field.min) throw fail(`must be at least ${field.min}, got ${n}`);
      if (field.max !== undefined && n > field.max) throw fail(`must be at most ${field.max}, got ${n}`);
      return n;
    }
    case 'duration': {
      const ms = decodeDuration(text, field.unit ?? (loose ? 's' : 'ms'), loose);
      if (ms === undefined) {
        throw fail(
          `"${text}" is not a duration: use a Go duration such as 5s or 250ms, or a whole number of ${field.unit === 'ms' || (!field.unit && !loose) ? 'milliseconds' : 'seconds'}`,
        );
      }
      if (field.nonNegative && ms < 0) throw fail(`must not be negative, got "${text}"`);
      return ms;
    }
    case 'enum': {
      const hit = field.values.find((v) => v.toLowerCase() === text.trim().toLowerCase());
      if (hit !== undefined) return hit;
      const why = Object.entries(field.unsupportedValues ?? {}).find(([v]) => v.toLowerCase() === text.trim().toLowerCase());
      if (why) throw fail(`"${text}" is valid in Dapr but not supported by nest-dapr: ${why[1]}`);
      throw fail(`"${text}" is not one of ${field.values.join(', ')}`);
    }
    case 'string-list': {
      const items = text.split(',');
      return field.trim ? items.map((s) => s.trim()).filter(Boolean) : items;
    }
    case 'byte-size': {
      const n = parseQuantity(text);
      if (n === undefined || n < 0) throw fail(`"${text}" is not a size such as 100Mi, 1000k or 1048576`);
      return n;
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch (err) {
        throw fail(`is not valid JSON: ${(err as Error).message}`);
      }
  }
}

/**
 * A duration as Dapr decodes it: a whole number is `unit`s (dapr/kit's
 * `DecodeMetadata`: seconds, after Go's parser refuses it; `config.Decode` and
 * the components that special-case it: milliseconds), anything else a Go
 * duration. An empty value is zero under `DecodeMetadata` and an error under
 * `config.Decode`.
 */
export function decodeDuration(text: string, unit: 's' | 'ms', emptyIsZero = true): number | undefined {
  if (text === '') return emptyIsZero ? 0 : undefined;
  const whole = parseGoInt(text, 10, 64, false);
  if (unit === 'ms' && whole !== undefined) return whole;
  const ns = parseGoDurationNs(text);
  if (ns !== undefined) return nsToMs(ns);
  return whole === undefined ? undefined : whole * 1000;
}

function defaultOf(field: MetadataField): unknown {
  if (field.default === undefined) return undefined;
  switch (field.type) {
    case 'duration':
      return decodeDuration(field.default, 'ms');
    case 'byte-size':
      return parseQuantity(field.default);
    case 'string-list':
      return [...field.default];
    default:
      return field.default;
  }
}

function rangeHint(field: { bits?: number; unsigned?: boolean }): string {
  if (!field.bits || field.bits === 64) return '';
  return field.unsigned ? ` below 2^${field.bits}` : ` of ${field.bits} bits`;
}

function sourceOf(md: MetadataOrigin, key: string): ConfigSource | undefined {
  if (!md.fieldSources) return undefined;
  const direct = md.fieldSources[key];
  if (direct) return direct;
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(md.fieldSources)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function where(md: MetadataOrigin, entry: Entry): string {
  const src = entry.source ?? md.source;
  const at = src?.file ? `${src.file}${src.line ? `:${src.line}` : ''}: ` : '';
  return `${at}component "${md.name}": `;
}
