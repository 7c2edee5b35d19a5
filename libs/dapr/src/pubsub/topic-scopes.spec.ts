import { TopicScopes } from './topic-scopes';

describe('TopicScopes (Dapr §5.0)', () => {
  it('leaves unlisted apps unrestricted and limits listed ones to their topics', () => {
    const scopes = { publishingScopes: 'app1=t1,t2; app2=t3;app3=', subscriptionScopes: 'app1=t1' };
    expect(new TopicScopes(scopes, 'other').canPublish('anything')).toBe(true);
    const app1 = new TopicScopes(scopes, 'app1');
    expect(app1.canPublish('t2')).toBe(true);
    expect(app1.canPublish('t3')).toBe(false);
    expect(app1.canSubscribe('t1')).toBe(true);
    expect(app1.canSubscribe('t2')).toBe(false);
    expect(new TopicScopes(scopes, 'app3').canPublish('t1')).toBe(false);
  });

  it('closes topics outside allowedTopics for everyone and opens protectedTopics only to scoped apps', () => {
    const scopes = { allowedTopics: 't1, t2', protectedTopics: 't2', publishingScopes: 'app1=t2' };
    const anyone = new TopicScopes(scopes, 'someone');
    expect(anyone.canPublish('t1')).toBe(true);
    expect(anyone.canPublish('t2')).toBe(false);
    expect(anyone.canPublish('t9')).toBe(false);
    expect(new TopicScopes(scopes, 'app1').canPublish('t2')).toBe(true);
  });
});
