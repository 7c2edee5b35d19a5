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

  it('reads nameResolution.configuration through the declared schema, naming the Configuration file and field', async () => {
    const init = (configuration: Record<string, unknown>) =>
      new KubernetesNameResolver().init({
        name: 'nameresolution.kubernetes',
        type: 'nameresolution.kubernetes',
        version: 'v1',
        properties: {},
        appId: 'a',
        namespace: 'shop',
        configuration,
        source: { file: '/cfg/config.yaml' },
      });
    await expect(init({ port: 'http' })).rejects.toThrow(/^\/cfg\/config\.yaml: component "nameresolution\.kubernetes": metadata "port"/);
    await expect(init({ port: 70000 })).rejects.toThrow(/"port"/);
    await expect(init({ scheme: 'grpc' })).rejects.toThrow(/"scheme" .*http, https/);
    await expect(init({ template: '{{.ID}}-dapr.{{.Namespace}}' })).rejects.toThrow(/"template" is a Go template/);
    await expect(init({ template: '{app}.svc' })).rejects.toThrow(/"template" uses \{app\}/);
    const r = new KubernetesNameResolver();
    // YAML numbers and an empty clusterDomain (ignored, as Dapr does) decode like text.
    await r.init({ name: 'k', type: 'nameresolution.kubernetes', version: 'v1', properties: {}, appId: 'a', namespace: 'shop', configuration: { port: 8080, clusterDomain: '' } });
    await expect(r.resolve({ appId: 'cart' })).resolves.toBe('http://cart.shop.svc.cluster.local:8080');
  });
});
