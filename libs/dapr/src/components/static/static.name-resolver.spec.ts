import { AppNotFoundError } from '../../errors/invocation.errors';
import { ComponentConfigError } from '../../errors/component-config.error';
import { StaticNameResolver } from './static.name-resolver';

describe('nameresolution.static', () => {
  it('maps app ids to a URL or round-robins a list', async () => {
    const r = new StaticNameResolver({ apps: { checkout: 'http://127.0.0.1:3002/', cart: ['http://a:1', 'b:2'], pay: 'http://x:1, http://y:2' } });
    await r.init();
    await expect(r.resolve({ appId: 'checkout' })).resolves.toBe('http://127.0.0.1:3002');
    const seen = await Promise.all([0, 1, 2, 3].map(() => r.resolve({ appId: 'cart' })));
    expect(seen).toEqual(['http://a:1', 'http://b:2', 'http://a:1', 'http://b:2']);
    await expect(r.resolve({ appId: 'pay' })).resolves.toBe('http://x:1');
    await expect(r.resolve({ appId: 'checkout.default' })).resolves.toBe('http://127.0.0.1:3002');
  });

  it('names the resolver and the id for an unknown app', async () => {
    const r = new StaticNameResolver({ apps: { checkout: 'http://127.0.0.1:3002' } });
    await r.init();
    const err = await r.resolve({ appId: 'ghost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppNotFoundError);
    expect((err as Error).message).toMatch(/"ghost".*nameresolution\.static.*checkout/);
  });

  it('rejects a malformed map at init', async () => {
    await expect(new StaticNameResolver({ apps: ['x'] }).init()).rejects.toBeInstanceOf(ComponentConfigError);
    await expect(new StaticNameResolver({ apps: { a: 'http://' } }).init()).rejects.toThrow(/configuration\.apps\.a/);
  });
});
