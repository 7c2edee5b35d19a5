/**
 * Go's text → value conversions, as Dapr's components meet them through
 * dapr/kit: `time.ParseDuration`, `strconv.ParseInt/ParseUint/ParseFloat/
 * ParseBool`, kit's `IsTruthy` and Kubernetes quantities (`kitmd.ByteSize`).
 * Each returns `undefined` for text Go would reject, so the metadata decoder
 * can raise one typed error that names the file, line and field.
 */

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_DURATION_NS = (1n << 63n) - 1n;

/**
 * `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or a lone `0`,
 * units ns/us/µs/ms/s/m/h, at most ~292 years. Returns nanoseconds.
 */
export function parseGoDurationNs(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (s !== '') {
    const m = part.exec(s);
    if (!m) return undefined;
    const [matched, int, frac] = m;
    if (int === '' && (frac === undefined || frac === '')) return undefined; // ".s" has no digits
    const unit = NS_PER_UNIT[m[3]];
    if (unit === undefined) return undefined;
    const whole = BigInt(int || '0');
    if (whole > (1n << 63n) / unit) return undefined;
    let ns = whole * unit;
    if (frac) ns += fractionNs(frac, unit);
    total += ns;
    if (ns > 1n << 63n || total > 1n << 63n) return undefined;
    s = s.slice(matched.length);
  }
  if (!neg && total > MAX_DURATION_NS) return undefined;
  return neg ? -total : total;
}

/**
 * Go's `leadingFraction` + `float64(f) * (float64(unit) / scale)`: digits past
 * 63 bits are dropped and the product is computed in float64, so results
 * match Go's to the nanosecond (`0.3333333333333333333h` is exactly 20m).
 */
function fractionNs(digits: string, unit: bigint): bigint {
  let f = 0n;
  let scale = 1;
  for (const c of digits) {
    if (f > MAX_DURATION_NS / 10n) break;
    const y = f * 10n + BigInt(c);
    if (y > 1n << 63n) break;
    f = y;
    scale *= 10;
  }
  return f === 0n ? 0n : BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
}

/** `time.ParseDuration` in milliseconds (fractions kept: `1500us` is 1.5). */
export function parseGoDuration(text: string): number | undefined {
  const ns = parseGoDurationNs(text);
  return ns === undefined ? undefined : nsToMs(ns);
}

export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** Bit sizes of Go's integer kinds (`int` and `uint` are 64-bit where Dapr runs). */
export type GoIntBits = 8 | 16 | 32 | 64;

/**
 * `strconv.ParseInt(text, base, bits)` / `ParseUint` for base 10 or 0.
 * Base 0 reads the Go prefixes (`0x`, `0o`, `0b`, a leading `0` for octal)
 * and underscores between digits, as mapstructure's weak decoding does.
 * Returns a number (exact below 2^53; larger values are clamped to what JS can hold).
 */
export function parseGoInt(text: string, base: 0 | 10, bits: GoIntBits, unsigned: boolean): number | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    if (unsigned) return undefined; // ParseUint takes no sign at all
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return undefined;
  let radix = 10;
  let digits = s;
  if (base === 0) {
    const prefix = s.length > 1 && s[0] === '0' ? s[1].toLowerCase() : '';
    if (prefix === 'x' || prefix === 'o' || prefix === 'b') {
      radix = prefix === 'x' ? 16 : prefix === 'o' ? 8 : 2;
      digits = s.slice(2);
    } else if (s.length > 1 && s[0] === '0') {
      radix = 8;
      digits = s.slice(1);
    }
    if (!underscoresOk(s)) return undefined;
    digits = digits.replace(/_/g, '');
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  let value = 0n;
  for (const ch of digits.toLowerCase()) value = value * BigInt(radix) + BigInt(parseInt(ch, radix));
  const b = BigInt(bits);
  if (unsigned) {
    if (value > (1n << b) - 1n) return undefined;
  } else if (neg ? value > 1n << (b - 1n) : value > (1n << (b - 1n)) - 1n) {
    return undefined;
  }
  return Number(neg ? -value : value);
}

/** Go's `underscoreOK`: underscores only between digits, or after a base prefix. */
function underscoresOk(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if (/[0-9a-fA-F]/.test(c)) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/**
 * `strconv.ParseFloat` for the decimal forms metadata uses (`1.5`, `-2`, `1e3`,
 * `.5`), plus Go's `inf`/`infinity`/`nan` words. Hexadecimal floats are not read.
 */
export function parseGoFloat(text: string): number | undefined {
  const t = text.toLowerCase();
  const word = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (word) return word[2] === 'nan' ? NaN : word[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined; // Go reports a range error for overflow
}

/** `strconv.ParseBool`: 1, t, T, TRUE, true, True / 0, f, F, FALSE, false, False. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** dapr/kit `strings.IsTruthy`: y, yes, true, t, on, 1 (any case, trimmed) are true; anything else false. */
export function isTruthy(text: string): boolean {
  return ['y', 'yes', 'true', 't', 'on', '1'].includes(text.trim().toLowerCase());
}

/** Whether `isTruthy` would read the text as a deliberate `false` (rather than as an unknown word). */
export function isFalsy(text: string): boolean {
  return ['n', 'no', 'false', 'f', 'off', '0', ''].includes(text.trim().toLowerCase());
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * A Kubernetes quantity as kit's `ByteSize` reads it (`100`, `1Ki`, `100Mi`,
 * `1000k`, `1e3`), in bytes; `undefined` when it is not a quantity or not a
 * whole number of bytes.
 */
export function parseQuantity(text: string): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const factor = m[3] !== undefined ? 10 ** Number(m[3]) : QUANTITY_SUFFIX[m[2] ?? ''];
  const bytes = Number(m[1]) * factor;
  if (!Number.isFinite(bytes)) return undefined;
  const rounded = Math.round(bytes);
  return Math.abs(bytes - rounded) < 1e-6 ? rounded : undefined;
}

/**
 * dapr/kit `Duration.ToISOString`: whole seconds as an ISO-8601 duration with
 * days, hours, minutes and seconds (`PT1H`, `P2DT2H20M15S`, `P0D` for zero),
 * as Dapr writes Service Bus entity settings.
 */
export function toIsoDuration(totalSeconds: number): string {
  let seconds = Math.trunc(totalSeconds);
  if (seconds === 0) return 'P0D';
  let out = 'P';
  if (seconds >= 86400) {
    out += `${Math.trunc(seconds / 86400)}D`;
    seconds %= 86400;
  }
  if (seconds === 0) return out;
  out += 'T';
  if (seconds >= 3600) {
    out += `${Math.trunc(seconds / 3600)}H`;
    seconds %= 3600;
  }
  if (seconds >= 60) {
    out += `${Math.trunc(seconds / 60)}M`;
    seconds %= 60;
  }
  if (seconds > 0) out += `${seconds}S`;
  return out;
}
