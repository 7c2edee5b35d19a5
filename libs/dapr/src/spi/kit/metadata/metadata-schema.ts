/**
 * A driver's metadata, declared once — the role of components-contrib's
 * `metadata.yaml` plus the decoding rules of its `metadata.go`. The decoder,
 * the unknown-key warnings, the README component reference and
 * docs/compatibility.md are all derived from these declarations.
 */

/**
 * Which of dapr/kit's two decoders the Dapr component uses; it fixes how text
 * becomes a bool, an integer or a duration:
 * - `metadata` — `kitmd.DecodeMetadata` (most components): booleans are
 *   "truthy" (`y|yes|true|t|on|1`, anything else false), integers accept Go
 *   prefixes (`0x10`), a bare number for a duration means **seconds**, and an
 *   empty value decodes to zero.
 * - `config` — `kit/config.Decode` (the Redis components): booleans must be
 *   `strconv.ParseBool` words, integers plain decimal, a bare number for a
 *   duration means **milliseconds**, and an empty number is an error.
 */
export type MetadataDialect = 'metadata' | 'config';

export type MetadataFieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'float'
  | 'duration'
  | 'enum'
  | 'string-list'
  | 'byte-size'
  | 'json';

/** How a field relates to the Dapr component of the same type. */
export type DaprSupport =
  /** Same name, same meaning, same decoding. */
  | 'supported'
  /** Dapr has the field; nest-dapr reads it differently on purpose (`note` says how and why). */
  | 'differs'
  /** Dapr has the field; nest-dapr does not implement it (`note` says why). Setting it logs a warning. */
  | 'unsupported'
  /** nest-dapr's own field; Dapr's component has no such field. */
  | 'extension';

interface FieldBase {
  type: MetadataFieldType;
  /** One sentence for the component reference. */
  description: string;
  /** Other names Dapr accepts (`mapstructurealiases`); the canonical name wins when both are set. */
  aliases?: readonly string[];
  /** Must be present and non-empty (after aliases). */
  required?: boolean;
  /** Name of the field that replaces it; the decoder logs a deprecation warning when it is used. */
  deprecated?: string;
  /** Holds a secret: masked in logs and errors, shown as such in the reference. */
  sensitive?: boolean;
  /** Relation to Dapr (default `supported`). */
  support?: DaprSupport;
  /** Why the field differs or is unsupported; shown on the compatibility page. */
  note?: string;
  /**
   * When the default applies: `absent` (the key is missing — dapr/kit's rule),
   * `empty` (missing or ""), `non-positive` (missing, "", or a decoded value ≤ 0,
   * for components whose `metadata.go` resets such values to the default).
   */
  defaultWhen?: 'absent' | 'empty' | 'non-positive';
  /** Decoder rules for this field when they differ from the schema's dialect. */
  dialect?: MetadataDialect;
}

export interface StringField extends FieldBase {
  type: 'string';
  default?: string;
}

export interface BoolField extends FieldBase {
  type: 'bool';
  default?: boolean;
}

export interface IntField extends FieldBase {
  type: 'int';
  default?: number;
  /** Go integer width (default 64) and signedness, for range checks as strconv does them. */
  bits?: 8 | 16 | 32 | 64;
  unsigned?: boolean;
  /** Extra bound the Dapr component checks (or a value that cannot work). */
  min?: number;
  max?: number;
  /** Unit of the number, for the reference (e.g. `s`, `ms`, `bytes`). */
  unit?: string;
}

export interface FloatField extends FieldBase {
  type: 'float';
  default?: number;
  min?: number;
  max?: number;
}

/** Decoded to milliseconds. */
export interface DurationField extends FieldBase {
  type: 'duration';
  /** Go duration text, e.g. `5s`. */
  default?: string;
  /**
   * What a bare integer means. Defaults to the dialect's rule (`s` for
   * `metadata`, `ms` for `config`); components that special-case it in their
   * `metadata.go` (Kafka `consumeRetryInterval`, Redis Streams
   * `processingTimeout`) say so here.
   */
  unit?: 's' | 'ms';
  /** Reject negative durations (Dapr components that parse with ParseUint). */
  nonNegative?: boolean;
}

export interface EnumField<V extends string = string> extends FieldBase {
  type: 'enum';
  /** Accepted values, matched case-insensitively and returned in this spelling. */
  values: readonly V[];
  default?: V;
  /** Values Dapr accepts that nest-dapr does not, with the reason. */
  unsupportedValues?: Readonly<Record<string, string>>;
}

/** Comma-separated list, split as dapr/kit splits (no trimming, empty items kept). */
export interface StringListField extends FieldBase {
  type: 'string-list';
  default?: readonly string[];
  /** Trim items and drop empty ones (components that do so after decoding). */
  trim?: boolean;
}

/** Kubernetes quantity (`100Mi`, `1000k`, `1048576`), decoded to bytes. */
export interface ByteSizeField extends FieldBase {
  type: 'byte-size';
  default?: string;
}

/** JSON text (or a structured YAML value, which the loader serialises). */
export interface JsonField extends FieldBase {
  type: 'json';
  default?: unknown;
}

export type MetadataField =
  | StringField
  | BoolField
  | IntField
  | FloatField
  | DurationField
  | EnumField
  | StringListField
  | ByteSizeField
  | JsonField;

export type MetadataFields = Readonly<Record<string, MetadataField>>;

export interface MetadataSchema<F extends MetadataFields = MetadataFields> {
  /** Component type, e.g. `state.redis`. */
  type: string;
  /** Versions served (default `['v1']`). */
  versions?: readonly string[];
  /** Short title for the reference, e.g. "Redis". */
  title: string;
  /** One or two sentences on what the driver is and how it maps onto Dapr's component. */
  summary: string;
  /** The dapr/kit decoder the Dapr component uses. */
  dialect: MetadataDialect;
  /**
   * `dapr` — a port of the components-contrib component of the same type;
   * `nest-dapr` — a type Dapr does not have (e.g. `pubsub.sqlite`).
   */
  origin: 'dapr' | 'nest-dapr';
  /** Component metadata fields. */
  fields: F;
  /**
   * Fields a subscription (or binding request) may set over the component's
   * metadata, e.g. Service Bus `requireSessions`. Decoded with `decodeMetadata`
   * over both maps, the subscription's winning.
   */
  subscriptionFields?: MetadataFields;
}

/** Identity function that keeps the literal types for `decodeMetadata`'s result type. */
export function defineMetadata<const F extends MetadataFields>(schema: MetadataSchema<F>): MetadataSchema<F> {
  return schema;
}

type FieldValue<T extends MetadataField> = T extends EnumField<infer V>
  ? V
  : T extends StringField
    ? string
    : T extends BoolField
      ? boolean
      : T extends IntField | FloatField | DurationField | ByteSizeField
        ? number
        : T extends StringListField
          ? string[]
          : unknown;

type HasValue<T extends MetadataField> = T extends { default: unknown } ? true : T extends { required: true } ? true : false;

/** The decoded object: a value for every field with a default or `required`, optional otherwise. */
export type DecodedMetadata<F extends MetadataFields> = {
  -readonly [K in keyof F as HasValue<F[K]> extends true ? K : never]: FieldValue<F[K]>;
} & {
  -readonly [K in keyof F as HasValue<F[K]> extends true ? never : K]?: FieldValue<F[K]>;
};
