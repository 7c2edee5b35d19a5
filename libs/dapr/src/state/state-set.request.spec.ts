import { LazyStateSetRequest } from './state-set.request';

describe('LazyStateSetRequest', () => {
  it('materialises JSON bytes on first read only, then keeps them as an own property', () => {
    const req = new LazyStateSetRequest('k', false, '{"a":1}', undefined, {});
    expect(req.text).toBe('{"a":1}');
    expect(Object.prototype.hasOwnProperty.call(req, 'value')).toBe(false);
    expect(Buffer.from(req.value).toString()).toBe('{"a":1}');
    expect(req.value).toBe(req.value);
    // Once read, a spread copies it (the SPI asks drivers to read `value`, not to spread the request).
    expect(Buffer.from(({ ...req } as { value?: Uint8Array }).value!).toString()).toBe('{"a":1}');
  });

  it('hands binary values through without a copy', () => {
    const bytes = new Uint8Array([1, 2]);
    const req = new LazyStateSetRequest('k', true, undefined, bytes, {});
    expect(req.value).toBe(bytes);
    expect(req.text).toBeUndefined();
  });
});
