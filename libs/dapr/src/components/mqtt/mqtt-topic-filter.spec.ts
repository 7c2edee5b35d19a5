import { MqttTopicFilter, routeFor } from './mqtt-topic-filter';

describe('MqttTopicFilter', () => {
  it.each([
    // The filters of the @dapr/dapr SDK's wildcard tests.
    ['myhome/groundfloor/#', 'myhome/groundfloor/foo/bar', true],
    ['myhome/groundfloor/#', 'myhome/groundfloor', true],
    ['myhome/groundfloor/#', 'myhome/firstfloor/foo', false],
    ['myhome/firstfloor/+/temperature', 'myhome/firstfloor/foo/temperature', true],
    ['myhome/firstfloor/+/temperature', 'myhome/firstfloor/foo/bar/temperature', false],
    ['myhome/firstfloor/+/temperature', 'myhome/firstfloor/foo/humidity', false],
    ['+/b', 'a/b', true],
    ['+', 'a', true],
    ['+', 'a/b', false],
    ['#', 'a/b/c', true],
    ['a/+', 'a/', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/bc', false],
    // `+` and `#` inside a level are plain characters.
    ['a+/b', 'a+/b', true],
    ['a+/b', 'ax/b', false],
    ['$share/g1/sensors/+', 'sensors/t1', true],
    ['$share/g1/sensors', 'sensors', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(new MqttTopicFilter(filter).matches(topic)).toBe(expected);
  });

  it('strips the shared-subscription prefix', () => {
    const f = new MqttTopicFilter('$share/workers/orders/new');
    expect(f.shared).toBe(true);
    expect(f.bare).toBe('orders/new');
    expect(f.wildcard).toBe(false);
  });

  it('routes an exact filter before a shared alias before a wildcard', () => {
    const r = (filter: string) => ({ filter: new MqttTopicFilter(filter), name: filter });
    const routes = [r('a/#'), r('$share/g/a/b'), r('a/b')];
    expect(routeFor(routes, 'a/b')?.name).toBe('a/b');
    expect(routeFor(routes.slice(0, 2), 'a/b')?.name).toBe('$share/g/a/b');
    expect(routeFor(routes, 'a/c')?.name).toBe('a/#');
    expect(routeFor(routes, 'b')).toBeUndefined();
  });
});
