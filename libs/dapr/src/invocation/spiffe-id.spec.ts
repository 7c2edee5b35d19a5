import { parseSpiffeId, spiffeIdOfCertificate } from './spiffe-id';

describe('parseSpiffeId (go-spiffe grammar, Dapr path form)', () => {
  it('accepts Dapr workload ids', () => {
    expect(parseSpiffeId('spiffe://public/ns/default/order')).toEqual({
      trustDomain: 'public',
      namespace: 'default',
      appId: 'order',
      uri: 'spiffe://public/ns/default/order',
    });
    expect(parseSpiffeId('spiffe://example.org/ns/shop-1/check_out.v2')?.appId).toBe('check_out.v2');
  });

  it.each([
    'spiffe://Public/ns/default/order', // upper-case trust domain
    'SPIFFE://public/ns/default/order',
    'spiffe://user@public/ns/default/order', // userinfo
    'spiffe://public:8443/ns/default/order', // port
    'spiffe://public/ns/default/..',
    'spiffe://public/ns/../order',
    'spiffe://public/ns/default/.',
    'spiffe://public/ns/default/app%2F..',
    'spiffe://public/ns/default/order?x=1',
    'spiffe://public/ns/default/order#frag',
    'spiffe://public/ns/default/order/',
    'spiffe://public/ns//order',
    'spiffe:///ns/default/order',
    'spiffe://public/NS/default/order',
    'spiffe://public/ns/default/or der',
    `spiffe://${'a'.repeat(256)}/ns/default/order`,
  ])('refuses %s', (uri) => {
    expect(parseSpiffeId(uri)).toBeUndefined();
  });

  it('reports a certificate whose only SPIFFE URI is malformed', () => {
    expect(spiffeIdOfCertificate('URI:spiffe://public/ns/default/..')).toEqual({ error: expect.stringMatching(/is not of the form/) });
  });
});
