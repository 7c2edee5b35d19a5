import { toIsoDuration, isTruthy, parseGoBool, parseGoDurationNs, parseGoFloat, parseGoInt, parseQuantity } from './go-values';

const S = 1_000_000_000n;
const MS = 1_000_000n;
const US = 1_000n;
const M = 60n * S;
const H = 60n * M;

describe('parseGoDurationNs (Go time.ParseDuration)', () => {
  // The cases of Go's own parseDurationTests table (src/time/time_test.go).
  it.each<[string, bigint]>([
    ['0', 0n],
    ['5s', 5n * S],
    ['30s', 30n * S],
    ['1478s', 1478n * S],
    ['-5s', -5n * S],
    ['+5s', 5n * S],
    ['-0', 0n],
    ['+0', 0n],
    ['5.0s', 5n * S],
    ['5.6s', 5n * S + 600n * MS],
    ['5.s', 5n * S],
    ['.5s', 500n * MS],
    ['1.0s', S],
    ['1.00s', S],
    ['1.004s', S + 4n * MS],
    ['1.0040s', S + 4n * MS],
    ['100.00100s', 100n * S + MS],
    ['10ns', 10n],
    ['11us', 11n * US],
    ['12µs', 12n * US],
    ['12μs', 12n * US],
    ['13ms', 13n * MS],
    ['14s', 14n * S],
    ['15m', 15n * M],
    ['16h', 16n * H],
    ['3h30m', 3n * H + 30n * M],
    ['10.5s4m', 4n * M + 10n * S + 500n * MS],
    ['-2m3.4s', -(2n * M + 3n * S + 400n * MS)],
    ['1h2m3s4ms5us6ns', H + 2n * M + 3n * S + 4n * MS + 5n * US + 6n],
    ['39h9m14.425s', 39n * H + 9n * M + 14n * S + 425n * MS],
    ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * M],
    ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', (1n << 63n) - 1n],
    ['9223372036854775.807us', (1n << 63n) - 1n],
    ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
    ['-9223372036854775808ns', -(1n << 63n)],
    ['-9223372036854775.808us', -(1n << 63n)],
    ['-9223372036s854ms775us808ns', -(1n << 63n)],
    ['0.100000000000000000000h', 6n * M],
    ['0.830103483285477580700h', 49n * M + 48n * S + 372539827n],
  ])('%s', (text, ns) => {
    expect(parseGoDurationNs(text)).toBe(ns);
  });

  it.each(['', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '\x85\x85', '\xffff', 'hello \xffff world',
    '9223372036854775808ns', '9223372036854775.808us', '9223372036s854ms775us808ns', '-9223372036854775809ns', '5 s', '1.5.s'])(
    'rejects %j',
    (text) => {
      expect(parseGoDurationNs(text)).toBeUndefined();
    },
  );
});

describe('parseGoInt (strconv.ParseInt / ParseUint)', () => {
  it('base 10 reads signs and digits only', () => {
    expect(parseGoInt('-9999', 10, 64, false)).toBe(-9999);
    expect(parseGoInt('+42', 10, 64, false)).toBe(42);
    expect(parseGoInt('0x10', 10, 64, false)).toBeUndefined();
    expect(parseGoInt('1_000', 10, 64, false)).toBeUndefined();
    expect(parseGoInt('', 10, 64, false)).toBeUndefined();
    expect(parseGoInt(' 1', 10, 64, false)).toBeUndefined();
    expect(parseGoInt('-badval', 10, 64, false)).toBeUndefined();
  });

  it('base 0 reads Go prefixes and underscores, as mapstructure weak decoding does', () => {
    expect(parseGoInt('0x10', 0, 64, false)).toBe(16);
    expect(parseGoInt('0o17', 0, 64, false)).toBe(15);
    expect(parseGoInt('017', 0, 64, false)).toBe(15);
    expect(parseGoInt('0b101', 0, 64, false)).toBe(5);
    expect(parseGoInt('1_000', 0, 64, false)).toBe(1000);
    expect(parseGoInt('0x_1f', 0, 64, false)).toBe(31);
    expect(parseGoInt('1__0', 0, 64, false)).toBeUndefined();
    expect(parseGoInt('_10', 0, 64, false)).toBeUndefined();
    expect(parseGoInt('10_', 0, 64, false)).toBeUndefined();
    expect(parseGoInt('08', 0, 64, false)).toBeUndefined();
  });

  it('checks the range of the Go type (dapr/kit config decode cases)', () => {
    expect(parseGoInt('-128', 10, 8, false)).toBe(-128);
    expect(parseGoInt('-129', 10, 8, false)).toBeUndefined();
    expect(parseGoInt('127', 10, 8, false)).toBe(127);
    expect(parseGoInt('128', 10, 8, false)).toBeUndefined();
    expect(parseGoInt('255', 10, 8, true)).toBe(255);
    expect(parseGoInt('-1', 10, 8, true)).toBeUndefined();
    expect(parseGoInt('9012', 10, 16, true)).toBe(9012);
    expect(parseGoInt('-9012', 10, 16, true)).toBeUndefined();
    expect(parseGoInt('65536', 10, 16, true)).toBeUndefined();
    expect(parseGoInt('2147483648', 10, 32, false)).toBeUndefined();
    expect(parseGoInt('-5678', 10, 32, true)).toBeUndefined();
  });
});

describe('parseGoFloat, parseGoBool, isTruthy', () => {
  it('floats', () => {
    expect(parseGoFloat('1.1')).toBe(1.1);
    expect(parseGoFloat('1234.5')).toBe(1234.5);
    expect(parseGoFloat('.5')).toBe(0.5);
    expect(parseGoFloat('1e3')).toBe(1000);
    expect(parseGoFloat('-2')).toBe(-2);
    expect(parseGoFloat('Inf')).toBe(Infinity);
    expect(parseGoFloat('badval.5')).toBeUndefined();
    expect(parseGoFloat('')).toBeUndefined();
  });

  it('strconv.ParseBool words only', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    for (const bad of ['yes', 'on', 'tRuE', 'badval', '']) expect(parseGoBool(bad)).toBeUndefined();
  });

  it("dapr/kit IsTruthy (the 'truthy values' test of DecodeMetadata)", () => {
    for (const t of ['on', '1', 'true', 'y', 'yes', 't', 'YES', ' On ']) expect(isTruthy(t)).toBe(true);
    for (const f of ['0', 'false', 'nonsense', '', 'off', 'truthy']) expect(isTruthy(f)).toBe(false);
  });
});

describe('parseQuantity (kitmd.ByteSize)', () => {
  it("reads dapr/kit's byte size cases", () => {
    expect(parseQuantity('100')).toBe(100);
    expect(parseQuantity('1Ki')).toBe(1024);
    expect(parseQuantity('1000k')).toBe(1_000_000);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('100Mi')).toBe(100 * 2 ** 20);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1.5Ki')).toBe(1536);
  });

  it('rejects text and fractions of a byte', () => {
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity('1.5')).toBeUndefined();
    expect(parseQuantity('100MB')).toBeUndefined();
  });
});

describe('toIsoDuration (dapr/kit Duration.ToISOString, its TestDurationToISOString table)', () => {
  it.each<[number, string]>([
    [0, 'P0D'],
    [1, 'PT1S'],
    [1.1, 'PT1S'],
    [86400, 'P1D'],
    [2 * 86400, 'P2D'],
    [50 * 3600, 'P2DT2H'],
    [50 * 3600 + 20 * 60, 'P2DT2H20M'],
    [50 * 3600 + 100 * 60, 'P2DT3H40M'],
    [50 * 3600 + 20 * 60 + 15, 'P2DT2H20M15S'],
    [50 * 3600 + 15, 'P2DT2H15S'],
    [240 * 3600 + 15, 'P10DT15S'],
  ])('%s s → %s', (s, iso) => expect(toIsoDuration(s)).toBe(iso));
});
