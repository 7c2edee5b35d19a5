import { SubscriptionConfigError } from '../errors/pubsub.errors';
import type { CloudEvent } from './pubsub.interfaces';
import { RouteEvaluationError, SubscriptionRouter } from './subscription-router';

const ev = (extra: Partial<CloudEvent>): CloudEvent =>
  ({ id: '1', source: 's', type: 'x', specversion: '1.0', topic: 't', pubsubname: 'p', ...extra }) as CloudEvent;

describe('SubscriptionRouter (CEL match rules)', () => {
  it('takes the first matching rule in order, then the default', () => {
    const r = new SubscriptionRouter<string>('test');
    r.add('widgets', 'event.type == "widget"', 'a');
    r.add('big', 'int(event.data.amount) > 10000', 'b');
    r.add('default', undefined, 'c');
    expect(r.route(ev({ type: 'widget', data: { amount: 1e6 } }))).toBe('widgets');
    expect(r.route(ev({ data: { amount: 20000 } }))).toBe('big');
    expect(r.route(ev({ data: { amount: 5 } }))).toBe('default');
  });

  it('a field the event lacks is an evaluation error, as in Dapr (retry or dead-letter), unless the rule guards it', () => {
    const r = new SubscriptionRouter<string>('test');
    r.add('big', 'int(event.data.amount) > 10000', 'b');
    r.add('default', undefined, 'c');
    expect(() => r.route(ev({ data: { other: 1 } }))).toThrow(RouteEvaluationError);
    expect(() => r.route(ev({ data: 'text' }))).toThrow(RouteEvaluationError);
    const guarded = new SubscriptionRouter<string>('test');
    guarded.add('big', 'has(event.data.amount) && int(event.data.amount) > 10000', 'b');
    guarded.add('default', undefined, 'c');
    expect(guarded.route(ev({ data: { other: 1 } }))).toBe('default');
  });

  it('returns undefined without a default and fails loudly on bad rules', () => {
    const r = new SubscriptionRouter<string>('test');
    r.add('only', 'event.type == "a"', 'a');
    expect(r.route(ev({ type: 'b' }))).toBeUndefined();
    expect(() => r.add('bad', 'event.type ==', 'bad')).toThrow(SubscriptionConfigError);
    r.add('d', undefined, 'd');
    expect(() => r.add('d2', '', 'd2')).toThrow(SubscriptionConfigError);
    const nonBool = new SubscriptionRouter<string>('test');
    nonBool.add('n', 'event.type', 'n');
    expect(() => nonBool.route(ev({}))).toThrow(RouteEvaluationError);
  });
});
