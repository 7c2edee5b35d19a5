import { ComponentConfigError } from '../errors/component-config.error';
import { AccessControlPolicy } from './access-control.policy';

describe('AccessControlPolicy (Dapr accessControl)', () => {
  const acl = new AccessControlPolicy({
    defaultAction: 'deny',
    trustDomain: 'public',
    policies: [
      {
        appId: 'order',
        defaultAction: 'allow',
        namespace: 'default',
        trustDomain: 'public',
        operations: [
          { name: '/admin/**', httpVerb: ['*'], action: 'deny' },
          { name: '/admin/public', httpVerb: ['GET'], action: 'allow' },
          { name: '/items/*', httpVerb: ['PUT', 'POST'], action: 'deny' },
        ],
      },
      { appId: 'reporter', namespace: 'default', trustDomain: 'public', operations: [{ name: '/reports/*/summary', httpVerb: ['GET'], action: 'allow' }] },
    ],
  });
  const order = { appId: 'order', namespace: 'default' };

  it('applies the most specific matching operation and its verbs', () => {
    expect(acl.decide(order, 'GET', '/admin/users/1').action).toBe('deny');
    expect(acl.decide(order, 'GET', '/admin').action).toBe('deny');
    expect(acl.decide(order, 'GET', '/admin/public').action).toBe('allow');
    expect(acl.decide(order, 'post', '/items/7').action).toBe('deny');
    expect(acl.decide(order, 'GET', '/items/7')).toEqual({ action: 'allow', scope: 'app' });
    expect(acl.decide(order, 'PUT', '/items/7/x?y=1')).toEqual({ action: 'allow', scope: 'app' });
  });

  it('falls back to the global default for unknown, unverified or mismatched callers', () => {
    expect(acl.decide({}, 'GET', '/anything')).toEqual({ action: 'deny', scope: 'global' });
    expect(acl.decide({ appId: 'stranger' }, 'GET', '/items/1').scope).toBe('global');
    expect(acl.decide({ appId: 'order', namespace: 'other' }, 'GET', '/items/1').scope).toBe('global');
    expect(acl.decide({ appId: 'order', namespace: 'default', trustDomain: 'evil' }, 'GET', '/items/1').scope).toBe('global');
  });

  it('uses * for one segment only and the app default (absent → global) otherwise', () => {
    const reporter = { appId: 'reporter' };
    expect(acl.decide(reporter, 'GET', '/reports/2024/summary').action).toBe('allow');
    expect(acl.decide(reporter, 'GET', '/reports/2024/q1/summary')).toEqual({ action: 'deny', scope: 'global' });
  });

  it('allows everything without policies, and denies by default when only app policies exist', () => {
    expect(new AccessControlPolicy({}).decide({}, 'GET', '/x').action).toBe('allow');
    expect(new AccessControlPolicy({ policies: [{ appId: 'a', namespace: 'default', trustDomain: 'public' }] }).decide({ appId: 'b' }, 'GET', '/x').action).toBe('deny');
  });

  it('keeps one policy per app id and namespace, as Dapr keys them; a policy never applies in another namespace', () => {
    const perNamespace = new AccessControlPolicy({
      defaultAction: 'deny',
      policies: [
        { appId: 'order', namespace: 'prod', trustDomain: 'public', defaultAction: 'deny' },
        { appId: 'order', namespace: 'default', trustDomain: 'public', defaultAction: 'allow' },
        { appId: 'audit', namespace: 'ops', trustDomain: 'corp', defaultAction: 'allow' },
      ],
    });
    expect(perNamespace.decide({ appId: 'order', namespace: 'prod' }, 'GET', '/x')).toEqual({ action: 'deny', scope: 'app' });
    expect(perNamespace.decide({ appId: 'order', namespace: 'default' }, 'GET', '/x')).toEqual({ action: 'allow', scope: 'app' });
    expect(perNamespace.decide({ appId: 'order' }, 'GET', '/x')).toEqual({ action: 'allow', scope: 'app' });
    // order@sandbox does not inherit the prod (or default) policy.
    expect(perNamespace.decide({ appId: 'order', namespace: 'sandbox' }, 'GET', '/x')).toEqual({ action: 'deny', scope: 'global' });
    expect(perNamespace.decide({ appId: 'audit', namespace: 'ops', trustDomain: 'corp' }, 'GET', '/x').action).toBe('allow');
    expect(perNamespace.decide({ appId: 'audit', namespace: 'ops', trustDomain: 'public' }, 'GET', '/x').scope).toBe('global');
    expect(perNamespace.decide({ appId: 'audit', namespace: 'default', trustDomain: 'corp' }, 'GET', '/x').scope).toBe('global');
  });

  it('refuses a policy without namespace or trustDomain, as Dapr does', () => {
    expect(() => new AccessControlPolicy({ policies: [{ appId: 'order', trustDomain: 'public' }] }, { file: 'config.yaml' })).toThrow(
      /config\.yaml.*spec\.accessControl\.policies\[0\]\.namespace: is required for app "order"/,
    );
    expect(() => new AccessControlPolicy({ policies: [{ appId: 'order', namespace: 'prod' }] })).toThrow(
      /spec\.accessControl\.policies\[0\]\.trustDomain: is required/,
    );
  });

  it('matches operations case-insensitively (Dapr lower-cases HTTP operations) and decides HEAD as GET', () => {
    const mixed = new AccessControlPolicy({
      defaultAction: 'allow',
      policies: [
        {
          appId: 'order',
          namespace: 'default',
          trustDomain: 'public',
          operations: [
            { name: '/Admin/**', httpVerb: ['*'], action: 'deny' },
            { name: '/files/secret', httpVerb: ['GET'], action: 'deny' },
          ],
        },
      ],
    });
    expect(mixed.decide(order, 'GET', '/ADMIN/users').action).toBe('deny');
    expect(mixed.decide(order, 'POST', '/admin/USERS').action).toBe('deny');
    expect(mixed.decide(order, 'HEAD', '/files/secret').action).toBe('deny');
    expect(mixed.decide(order, 'head', '/Files/Secret').action).toBe('deny');
    expect(mixed.decide(order, 'POST', '/files/secret').action).toBe('allow');
  });

  it('rejects malformed specs naming the field', () => {
    expect(() => new AccessControlPolicy({ defaultAction: 'maybe' as 'allow' }, { file: 'config.yaml' })).toThrow(
      /config\.yaml.*spec\.accessControl\.defaultAction/,
    );
    expect(() => new AccessControlPolicy({ policies: [{ appId: 'a', namespace: 'default', trustDomain: 'public', operations: [{ name: '/x', httpVerb: 'GET' as never, action: 'allow' }] }] })).toThrow(
      ComponentConfigError,
    );
  });
});
