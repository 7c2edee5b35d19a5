import { cleanPath, isMalformed, requestTargetOf } from './request-target';

describe('requestTargetOf', () => {
  it.each([
    ['/stock/a', '/stock/a', '/stock/a'],
    ['/ADMIN/Users/?x=1', '/admin/users', '/admin/users'],
    ['/files/%73ecret', '/files/secret', '/files/secret'],
    ['/%61dmin/users', '/admin/users', '/admin/users'],
    ['/public/..%2Fadmin', '/public/..%2fadmin', '/admin'],
    ['/files/a%2Fb', '/files/a%2fb', '/files/a/b'],
    ['//admin/users', '//admin/users', '/admin/users'],
    ['/x/../admin/users', '/x/../admin/users', '/admin/users'],
    ['/admin/./users', '/admin/./users', '/admin/users'],
    ['/../../etc/passwd', '/../../etc/passwd', '/etc/passwd'],
    ['/%2e%2e/admin', '/../admin', '/admin'],
    ['/', '/', '/'],
  ])('%s → router %s, Dapr %s', (url, routerPath, daprPath) => {
    expect(requestTargetOf(url)).toEqual({ routerPath, daprPath });
  });

  it.each([
    ['http://evil/admin/users', /not origin-form/],
    ['*', /not origin-form/],
    ['evil.example:443', /not origin-form/],
    ['/files/%zz', /does not decode/],
    ['/files/%E0%A4%A', /does not decode/],
    ['/files/x%00y', /control/],
    ['/files/x%0Ay', /control/],
    ['/files/x%3Fy', /"\?" or "#"/],
    ['/files/x%23y', /"\?" or "#"/],
  ])('refuses %s', (url, reason) => {
    const t = requestTargetOf(url);
    expect(isMalformed(t)).toBe(true);
    expect(isMalformed(t) && t.malformed).toMatch(reason);
  });

  it('cleans like Go path.Clean for rooted paths', () => {
    expect(cleanPath('/a//b/./c/../d/')).toBe('/a/b/d');
    expect(cleanPath('/..')).toBe('/');
  });
});
