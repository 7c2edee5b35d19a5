import { StateRequestInvalidError } from 'nest-dapr';
import { checkOptions, normalizeEtag, parseTtl } from './state-request.validator';

describe('state request validation', () => {
  it('parses ttlInSeconds: integers >= -1, case-insensitive name', () => {
    expect(parseTtl(undefined)).toBeUndefined();
    expect(parseTtl({})).toBeUndefined();
    expect(parseTtl({ ttlInSeconds: '10' })).toBe(10);
    expect(parseTtl({ TTLInSeconds: '-1' })).toBe(-1);
    expect(parseTtl({ ttlInSeconds: '0' })).toBe(0);
  });

  it('rejects a non-numeric or too small ttlInSeconds with a clear typed error', () => {
    expect(() => parseTtl({ ttlInSeconds: 'foo' })).toThrow(StateRequestInvalidError);
    expect(() => parseTtl({ ttlInSeconds: 'foo' })).toThrow(/ttlInSeconds "foo" is not an integer/);
    expect(() => parseTtl({ ttlInSeconds: '1.5' })).toThrow(StateRequestInvalidError);
    expect(() => parseTtl({ ttlInSeconds: '-2' })).toThrow(/-1 or greater/);
  });

  it('accepts only the known concurrency and consistency models', () => {
    expect(checkOptions({ concurrency: 'first-write', consistency: 'strong' })).toEqual({
      concurrency: 'first-write',
      consistency: 'strong',
    });
    expect(checkOptions({})).toBeUndefined();
    expect(() => checkOptions({ concurrency: 'x' })).toThrow(/unrecognized concurrency model/);
    expect(() => checkOptions({ consistency: 'x' })).toThrow(/unrecognized consistency model/);
  });

  it('treats an empty etag as none', () => {
    expect(normalizeEtag('')).toBeUndefined();
    expect(normalizeEtag(undefined)).toBeUndefined();
    expect(normalizeEtag('3')).toBe('3');
  });
});
