import { KubernetesNameResolver } from './kubernetes.name-resolver';

describe('nameresolution.kubernetes', () => {
  it('builds the cluster DNS name from the app id and namespace', async () => {
    const r = new KubernetesNameResolver({ port: 3000 });
    await r.init();
    await expect(r.resolve({ appId: 'checkout', namespace: 'shop' })).resolves.toBe('http://checkout.shop.svc.cluster.local:3000');
    await expect(r.resolve({ appId: 'checkout' })).resolves.toBe('http://checkout.default.svc.cluster.local:3000');
    await expect(r.resolve({ appId: 'checkout.billing' })).resolves.toBe('http://checkout.billing.svc.cluster.local:3000');
  });

  it('honours clusterDomain, scheme and a custom template', async () => {
    const r = new KubernetesNameResolver({ clusterDomain: 'corp.local', scheme: 'https', template: '{appId}-svc.{namespace}.svc.{clusterDomain}:{port}' });
    await r.init();
    await expect(r.resolve({ appId: 'cart', namespace: 'ns' })).resolves.toBe('https://cart-svc.ns.svc.corp.local:80');
  });

  it('rejects a bad port', async () => {
    await expect(new KubernetesNameResolver({ port: 'http' }).init()).rejects.toThrow(/configuration\.port|port/);
  });
});
