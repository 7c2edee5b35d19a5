import { ComponentConfigError, MissingMetadataError } from '../../../errors/component-config.error';
import { decodeMetadata, inspectMetadata, metadataError, type MetadataOrigin } from './metadata-decoder';
import { defineMetadata, type MetadataFields } from './metadata-schema';

const origin = (properties: Record<string, string>, extra: Partial<MetadataOrigin> = {}): MetadataOrigin => ({
  name: 'comp',
  properties,
  ...extra,
});

const schemaOf = <F extends MetadataFields>(fields: F, dialect: 'metadata' | 'config' = 'metadata') =>
  defineMetadata({ type: 'test.kit', title: 'Test', summary: 'test', dialect, origin: 'dapr', fields });

describe('decodeMetadata — dapr/kit DecodeMetadata rules (TestMetadataDecode)', () => {
  const schema = schemaOf({
    mystring: { type: 'string', description: '' },
    myduration: { type: 'duration', description: '' },
    myinteger: { type: 'int', description: '' },
    myfloat64: { type: 'float', description: '' },
    mybool: { type: 'bool', description: '' },
    myregularduration: { type: 'duration', description: '' },
    mydurationwithoutunit: { type: 'duration', description: '' },
    myregulardurationempty: { type: 'duration', description: '' },
    myregulardurationdefaultvalueunset: { type: 'duration', default: '1h', description: '' },
    myregulardurationdefaultvalueempty: { type: 'duration', default: '1h', description: '' },
    aliasA1: { type: 'string', aliases: ['aliasA2'], description: '' },
    aliasB1: { type: 'string', aliases: ['aliasB2'], description: '' },
    embedded: { type: 'string', description: '' },
    embalias: { type: 'string', aliases: ['embalias2'], description: '' },
  });

  it('decodes the kit test map', () => {
    const m = decodeMetadata(
      schema,
      origin({
        mystring: 'test',
        myduration: '3s',
        myinteger: '1',
        myfloat64: '1.1',
        mybool: 'true',
        myregularduration: '6m',
        mydurationwithoutunit: '17',
        myregulardurationempty: '',
        myregulardurationdefaultvalueempty: '',
        aliasA2: 'hello',
        aliasB1: 'ciao',
        aliasB2: 'bonjour',
        embedded: 'hi',
        embalias2: 'ciao',
      }),
    );
    expect(m.mybool).toBe(true);
    expect(m.mystring).toBe('test');
    expect(m.myinteger).toBe(1);
    expect(m.myfloat64).toBeCloseTo(1.1);
    expect(m.myduration).toBe(3000);
    expect(m.myregularduration).toBe(6 * 60_000);
    expect(m.mydurationwithoutunit).toBe(17_000); // a bare number is seconds under DecodeMetadata
    expect(m.myregulardurationempty).toBe(0);
    expect(m.myregulardurationdefaultvalueunset).toBe(3_600_000);
    expect(m.myregulardurationdefaultvalueempty).toBe(0); // "" overrides the default with zero, as in Go
    expect(m.aliasA1).toBe('hello');
    expect(m.aliasB1).toBe('ciao');
    expect(m.embedded).toBe('hi');
    expect(m.embalias).toBe('ciao');
  });

  it('truthy booleans (the kit "truthy values" case), warning on a word Dapr reads as false', () => {
    const s = schemaOf({
      boolPointer: { type: 'bool', description: '' },
      boolPointerNotProvided: { type: 'bool', description: '' },
      boolValueOn: { type: 'bool', description: '' },
      boolValue1: { type: 'bool', description: '' },
      boolValueTrue: { type: 'bool', description: '' },
      boolValue0: { type: 'bool', description: '' },
      boolValueFalse: { type: 'bool', description: '' },
      boolValueNonsense: { type: 'bool', description: '' },
    });
    const warnings: string[] = [];
    const m = decodeMetadata(
      s,
      origin({
        boolpointer: 'on',
        boolvalueon: 'on',
        boolvalue1: '1',
        boolvaluetrue: 'true',
        boolvalue0: '0',
        boolvaluefalse: 'false',
        boolvaluenonsense: 'nonsense',
      }),
      { warn: (w) => warnings.push(w) },
    );
    expect(m).toEqual({
      boolPointer: true,
      boolValueOn: true,
      boolValue1: true,
      boolValueTrue: true,
      boolValue0: false,
      boolValueFalse: false,
      boolValueNonsense: false,
    });
    expect(m.boolPointerNotProvided).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('"nonsense" is not a boolean word; it reads as false')]);
  });

  it('string arrays split on commas without trimming (the kit "string arrays" case)', () => {
    const s = schemaOf({
      stringArray: { type: 'string-list', description: '' },
      emptyStringArray: { type: 'string-list', description: '' },
      stringArrayOneElement: { type: 'string-list', description: '' },
      stringArrayOneElementWithComma: { type: 'string-list', description: '' },
      emptyStringArrayWithComma: { type: 'string-list', description: '' },
      trimmed: { type: 'string-list', trim: true, description: '' },
    });
    const m = decodeMetadata(
      s,
      origin({
        stringarray: 'one,two,three',
        emptystringarray: '',
        stringarrayoneelement: 'test',
        stringarrayoneelementwithcomma: 'test,',
        emptystringarraywithcomma: ',',
        trimmed: ' a, b ,,',
      }),
    );
    expect(m.stringArray).toEqual(['one', 'two', 'three']);
    expect(m.emptyStringArray).toEqual(['']);
    expect(m.stringArrayOneElement).toEqual(['test']);
    expect(m.stringArrayOneElementWithComma).toEqual(['test', '']);
    expect(m.emptyStringArrayWithComma).toEqual(['', '']);
    expect(m.trimmed).toEqual(['a', 'b']);
  });

  it('byte sizes (the kit "byte sizes" case)', () => {
    const s = schemaOf({
      v1: { type: 'byte-size', description: '' },
      v3: { type: 'byte-size', description: '' },
      v4: { type: 'byte-size', description: '' },
      ptr: { type: 'byte-size', description: '' },
      notProvided: { type: 'byte-size', description: '' },
    });
    const m = decodeMetadata(s, origin({ v1: '100', v3: '1Ki', v4: '1000k', ptr: '1Gi' }));
    expect(m).toEqual({ v1: 100, v3: 1024, v4: 1_000_000, ptr: 2 ** 30 });
  });

  it('integers accept Go prefixes and an empty value is zero (mapstructure weak input)', () => {
    const s = schemaOf({ n: { type: 'int', description: '' }, e: { type: 'int', default: 7, description: '' } });
    expect(decodeMetadata(s, origin({ n: '0x10', e: '' }))).toEqual({ n: 16, e: 0 });
  });
});

describe('decodeMetadata — aliases (dapr/kit TestResolveAliases)', () => {
  const hello = (aliases: string[], name = 'hello') =>
    schemaOf({ [name]: { type: 'string', aliases, description: '' }, bonjour: { type: 'string', description: '' } });

  it.each<[string, Record<string, string>, string[], string, string | undefined]>([
    ['no aliases', { hello: 'world', ciao: 'mondo' }, [], 'hello', 'world'],
    ['set with aliased field', { ciao: 'mondo' }, ['ciao'], 'hello', 'mondo'],
    ['do not overwrite existing fields with aliases', { hello: 'world', ciao: 'mondo' }, ['ciao'], 'hello', 'world'],
    ['no fields with aliased value', { bonjour: 'monde' }, ['ciao'], 'hello', undefined],
    ['multiple aliases', { bonjour: 'monde' }, ['ciao', 'bonjour'], 'hello', 'monde'],
    ['first alias wins', { ciao: 'mondo', bonjour: 'monde' }, ['ciao', 'bonjour'], 'hello', 'mondo'],
    ['set with aliased field with mixed case', { ciao: 'mondo' }, ['CIAO'], 'Hello', 'mondo'],
    ['do not overwrite existing fields with aliases with mixed cases', { HELLO: 'world', CIAO: 'mondo' }, ['cIAo'], 'hELLo', 'world'],
    ['multiple aliases with mixed cases', { bonjour: 'monde' }, ['CIAO', 'BONJOUR'], 'HELLO', 'monde'],
  ])('%s', (_name, md, aliases, field, expected) => {
    const m = decodeMetadata(hello(aliases, field), origin(md)) as Record<string, unknown>;
    expect(m[field]).toBe(expected);
  });

  it('refuses two keys that differ only in case, naming the line', () => {
    const s = hello([]);
    expect(() =>
      decodeMetadata(s, origin({ hello: 'a', HELLO: 'b' }, { fieldSources: { HELLO: { file: 'c.yaml', line: 9 } } })),
    ).toThrow(/c\.yaml:9: component "comp": metadata "hello" and "HELLO" differ only in case/);
  });
});

describe('decodeMetadata — kit/config Decode rules (the Redis components)', () => {
  const s = schemaOf(
    {
      int: { type: 'int', description: '' },
      int8: { type: 'int', bits: 8, description: '' },
      uint16: { type: 'int', bits: 16, unsigned: true, description: '' },
      byte: { type: 'int', bits: 8, unsigned: true, description: '' },
      float64: { type: 'float', description: '' },
      bool: { type: 'bool', description: '' },
      duration: { type: 'duration', description: '' },
      durationPtr: { type: 'duration', description: '' },
      string: { type: 'string', description: '' },
    },
    'config',
  );

  it('decodes the "string values" case: a bare number for a duration is milliseconds', () => {
    expect(
      decodeMetadata(
        s,
        origin({
          int: '-9999',
          int8: '-128',
          uint16: '9012',
          byte: '255',
          float64: '1234.5',
          bool: 'true',
          duration: '5000',
          durationPtr: '5s',
          string: '1234',
        }),
      ),
    ).toEqual({
      int: -9999,
      int8: -128,
      uint16: 9012,
      byte: 255,
      float64: 1234.5,
      bool: true,
      duration: 5000,
      durationPtr: 5000,
      string: '1234',
    });
  });

  it.each<[string, string, RegExp]>([
    ['int', '-badval', /"-badval" is not an integer/],
    ['int8', '-129', /"-129" is not an integer of 8 bits/],
    ['uint16', '-9012', /"-9012" is not a non-negative integer below 2\^16/],
    ['byte', '-1', /"-1" is not a non-negative integer/],
    ['float64', 'badval.5', /"badval\.5" is not a number/],
    ['bool', 'badval', /"badval" is not a boolean/],
    ['bool', 'yes', /"yes" is not a boolean/],
    ['duration', 'badval', /"badval" is not a duration/],
    ['duration', '', /"" is not a duration/],
    ['int', '', /"" is not an integer/],
  ])('rejects %s=%j (the "errors" case)', (field, value, message) => {
    expect(() => decodeMetadata(s, origin({ [field]: value }))).toThrow(message);
  });
});

describe('decodeMetadata — declarations', () => {
  const s = schemaOf({
    host: { type: 'string', required: true, description: '' },
    retries: { type: 'int', default: 3, min: -1, description: '' },
    wait: { type: 'duration', default: '100ms', unit: 'ms', nonNegative: true, description: '' },
    timeout: { type: 'duration', default: '30s', defaultWhen: 'non-positive', description: '' },
    mode: { type: 'enum', values: ['none', 'gzip', 'snappy'], default: 'none', unsupportedValues: { awsiam: 'needs AWS' }, description: '' },
    old: { type: 'string', deprecated: 'host', description: '' },
    blank: { type: 'string', default: 'x', defaultWhen: 'empty', description: '' },
    cfg: { type: 'json', description: '' },
  });

  it('fills defaults, matches names case-insensitively and keeps the enum spelling', () => {
    const m = decodeMetadata(s, origin({ HOST: 'h', MODE: 'GZIP', timeout: '0', blank: '' }));
    expect(m).toEqual({ host: 'h', retries: 3, wait: 100, timeout: 30_000, mode: 'gzip', blank: 'x' });
  });

  it('reads a bare number as milliseconds where the component says so (Kafka consumeRetryInterval)', () => {
    expect(decodeMetadata(s, origin({ host: 'h', wait: '250' })).wait).toBe(250);
    expect(decodeMetadata(s, origin({ host: 'h', wait: '2s' })).wait).toBe(2000);
    expect(() => decodeMetadata(s, origin({ host: 'h', wait: '-5' }))).toThrow(/must not be negative/);
  });

  it('a required field that is absent or empty names the component file', () => {
    const src = { file: '/c/redis.yaml', line: 1 };
    const err = (() => {
      try {
        decodeMetadata(s, origin({ host: '' }, { source: src, fieldSources: { host: { file: '/c/redis.yaml', line: 8 } } }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MissingMetadataError);
    expect((err as Error).message).toBe('/c/redis.yaml:8: component "comp" is missing required metadata "host"');
    expect(() => decodeMetadata(s, origin({}, { source: src }))).toThrow(/^\/c\/redis\.yaml:1: .*missing required metadata "host"/);
  });

  it('every decoding error names file, line and field; inline components name the component', () => {
    let e: ComponentConfigError | undefined;
    try {
      decodeMetadata(s, origin({ host: 'h', retries: 'many' }, { fieldSources: { retries: { file: '/c/x.yaml', line: 12 } } }));
    } catch (err) {
      e = err as ComponentConfigError;
    }
    expect(e).toBeInstanceOf(ComponentConfigError);
    expect(e!.message).toBe('/c/x.yaml:12: component "comp": metadata "retries" "many" is not an integer');
    expect(e!.field).toBe('retries');
    expect(e!.source).toEqual({ file: '/c/x.yaml', line: 12 });
    expect(() =>
      decodeMetadata(s, origin({ host: 'h', mode: 'awsiam' }, { source: { file: 'components[2] (inline)' } })),
    ).toThrow('components[2] (inline): component "comp": metadata "mode" "awsiam" is valid in Dapr but not supported by nest-dapr: needs AWS');
    expect(() => decodeMetadata(s, origin({ host: 'h', mode: 'brotli' }))).toThrow(/"brotli" is not one of none, gzip, snappy/);
    expect(() => decodeMetadata(s, origin({ host: 'h', retries: '-2' }))).toThrow(/must be at least -1, got -2/);
    expect(() => decodeMetadata(s, origin({ host: 'h', cfg: '{x' }))).toThrow(/"cfg" is not valid JSON/);
    expect(metadataError(origin({ host: 'h' }, { fieldSources: { host: { file: 'f.yaml', line: 3 } } }), 'host', 'is bad').message).toBe(
      'f.yaml:3: component "comp": metadata "host" is bad',
    );
  });

  it('overrides (subscription metadata) win over the component and may use subscription fields', () => {
    const withSub = defineMetadata({ ...s, subscriptionFields: { requireSessions: { type: 'bool', description: '' } } });
    const m = decodeMetadata(withSub, origin({ host: 'h', retries: '1' }), {
      overrides: [{ Retries: '5', requireSessions: 'true' }],
    }) as Record<string, unknown>;
    expect(m.retries).toBe(5);
    expect(m.requireSessions).toBe(true);
  });
});

describe('inspectMetadata', () => {
  const s = schemaOf({
    redisHost: { type: 'string', description: '' },
    redisPassword: { type: 'string', description: '' },
    sentinelUsername: { type: 'string', support: 'unsupported', note: 'Sentinel ACLs are not wired', description: '' },
    maxRetries: { type: 'int', deprecated: 'redisMaxRetries', description: '' },
  });

  it('warns on unknown keys with a "did you mean", on unsupported and on deprecated fields', () => {
    const warnings = inspectMetadata(
      s,
      origin(
        { redisHots: 'x', sentinelUsername: 'u', maxRetries: '2', somethingElse: '1', keyPrefix: 'none' },
        { fieldSources: { redisHots: { file: 'r.yaml', line: 7 } }, source: { file: 'r.yaml', line: 1 } },
      ),
      { keyPrefix: { type: 'string', description: '' } },
    );
    expect(warnings).toEqual(
      expect.arrayContaining([
        'r.yaml:7: component "comp": unknown metadata "redisHots" for test.kit; did you mean "redisHost"?',
        'r.yaml:1: component "comp": unknown metadata "somethingElse" for test.kit (ignored)',
        'r.yaml:1: component "comp": metadata "sentinelUsername" is not supported by nest-dapr and is ignored: Sentinel ACLs are not wired',
        'r.yaml:1: component "comp": metadata "maxRetries" is deprecated; use "redisMaxRetries"',
      ]),
    );
    expect(warnings).toHaveLength(4);
  });
});
