import { ComponentConfigError, StateKeyInvalidError } from 'nest-dapr';
import { StateKeyScheme } from './state-key.scheme';

describe('StateKeyScheme (Dapr keyPrefix)', () => {
  const scheme = (keyPrefix?: string, ns?: string) =>
    StateKeyScheme.fromMetadata('store', keyPrefix === undefined ? {} : { KeyPrefix: keyPrefix }, 'app', ns);

  it('prefixes with the app id by default', () => {
    expect(scheme().toStorage('k')).toBe('app||k');
    expect(scheme('appid').toStorage('k')).toBe('app||k');
    expect(scheme('AppID').toStorage('k')).toBe('app||k');
  });

  it('supports name, namespace, none and custom prefixes (custom values lower-cased like Dapr)', () => {
    expect(scheme('name').toStorage('k')).toBe('store||k');
    expect(scheme('namespace', 'prod').toStorage('k')).toBe('prod.app||k');
    expect(scheme('namespace').toStorage('k')).toBe('app||k');
    expect(scheme('none').toStorage('k')).toBe('k');
    expect(scheme('MyPrefix').toStorage('k')).toBe('myprefix||k');
  });

  it('an empty keyPrefix is an empty custom prefix, as Dapr (GetModifiedStateKey) makes it: "||key"', () => {
    const s = scheme('');
    expect(s.toStorage('k')).toBe('||k');
    expect(s.fromStorage('||k')).toBe('k');
  });

  it('rejects || in keys and custom prefixes, and empty keys', () => {
    expect(() => scheme().toStorage('a||b')).toThrow(StateKeyInvalidError);
    expect(() => scheme().toStorage('')).toThrow(StateKeyInvalidError);
    expect(() => scheme('bad||prefix')).toThrow(ComponentConfigError);
  });

  it('recovers the application key like Dapr (between the first and second ||)', () => {
    const s = scheme();
    expect(s.fromStorage('app||k')).toBe('k');
    expect(s.fromStorage('k')).toBe('k');
    expect(s.fromStorage('app||actor||id||k')).toBe('actor');
  });
});
