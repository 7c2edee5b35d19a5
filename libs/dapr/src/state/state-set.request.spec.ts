import { LazyStateSetRequest } from './state-set.request';

describe('LazyStateSetRequest', () => {
  it('materialises JSON bytes on first read, and survives an object spread', () => {
    const req = new LazyStateSetRequest('k', false, '{"a":1}', undefined, {});
    expect(req.text).toBe('{"a":1}');
    const copy = { ...req };
    expect(Buffer.from(copy.value).toString()).toBe('{"a":1}');
    expect(Buffer.from(req.value).toString()).toBe('{"a":1}');
    expect(req.value).toBe(req.value);
  });

  it('hands binary values through without a copy', () => {
    const bytes = new Uint8Array([1, 2]);
    const req = new LazyStateSetRequest('k', true, undefined, bytes, {});
    expect(req.value).toBe(bytes);
    expect(req.text).toBeUndefined();
  });
});
