import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { ComponentConfigError, PubSubService, Subscribe, SubscriptionStatus, type CloudEvent, type ComponentDefinition } from 'nest-dapr';
import { Recorder, sleep, startApp, waitFor } from './pubsub-test-kit';
import { uniqueName } from './support/broker-test-utils';
import { dropMqttSession, MQTT_URL, rawMqtt } from './support/mqtt-test-utils';

/**
 * pubsub.mqtt3 behaviour beyond the conformance suite, on the shared
 * Mosquitto: the wildcard subscriptions of the @dapr/dapr SDK's e2e tests
 * (`myhome/groundfloor/#`, `myhome/firstfloor/+/temperature`), shared
 * subscriptions (`$share/<group>/<topic>`) as MQTT's competing consumers, a
 * message left unacknowledged (RETRY) coming back when the session resumes,
 * and start-up errors for bad metadata.
 */
describe('pubsub.mqtt3', () => {
  const apps: INestApplication[] = [];

  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.close();
  });

  const component = (metadata: Record<string, string>): ComponentDefinition => ({
    name: 'mqttps',
    type: 'pubsub.mqtt3',
    metadata: { url: MQTT_URL, ...metadata },
  });

  async function app(appId: string, metadata: Record<string, string>, providers: Type<unknown>[] = []): Promise<INestApplication> {
    const a = await startApp({ appId, components: [component(metadata)], providers });
    apps.push(a);
    return a;
  }

  async function closeApp(a: INestApplication): Promise<void> {
    apps.splice(apps.indexOf(a), 1);
    await a.close();
  }

  it('routes wildcard topics (# and +) as the @dapr/dapr SDK tests use them, with the concrete topic in the CloudEvent', async () => {
    const id = uniqueName('wild');
    const hash = `${id}/myhome/groundfloor/#`;
    const plus = `${id}/myhome/firstfloor/+/temperature`;
    const exact = `${id}/myhome/groundfloor/kitchen`;
    const rec = new Recorder<{ data: unknown; topic: string }>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic: hash })
      onHash(data: unknown, event: CloudEvent) {
        rec.add('hash', { data, topic: event.topic });
      }
      @Subscribe({ pubsub: 'mqttps', topic: plus })
      onPlus(data: unknown, event: CloudEvent) {
        rec.add('plus', { data, topic: event.topic });
      }
      @Subscribe({ pubsub: 'mqttps', topic: exact })
      onExact(data: unknown) {
        rec.add('exact', { data, topic: exact });
      }
    }
    const a = await app(`${id}-app`, { consumerID: `${id}-c`, cleanSession: 'true' }, [Handlers]);
    const pub = a.get(PubSubService);
    await pub.publish('mqttps', hash.replace('#', 'foo/bar'), { message: 'Hello, world!' });
    await pub.publish('mqttps', plus.replace('+', 'foo'), { message: 'Hello, plus!' });
    await pub.publish('mqttps', exact, { message: 'kitchen' });
    // Not matched by any filter: one level too deep for `+`, another floor for `#`.
    await pub.publish('mqttps', plus.replace('+', 'foo/bar'), { message: 'too deep' });
    await pub.publish('mqttps', `${id}/myhome/cellar/x`, { message: 'other floor' });
    await waitFor(() => rec.count('hash') === 1 && rec.count('plus') === 1 && rec.count('exact') === 1, 'the three routed events');
    await sleep(1000);
    expect(rec.get('hash')).toEqual([{ data: { message: 'Hello, world!' }, topic: `${id}/myhome/groundfloor/foo/bar` }]);
    expect(rec.get('plus')).toEqual([{ data: { message: 'Hello, plus!' }, topic: `${id}/myhome/firstfloor/foo/temperature` }]);
    // The exact filter wins over the overlapping `#` filter (one delivery, as Dapr routes it).
    expect(rec.get('exact')).toEqual([{ data: { message: 'kitchen' }, topic: exact }]);
  });

  it('shared subscriptions ($share/<group>/<topic>) split a topic between instances; another group gets all of it', async () => {
    const id = uniqueName('share');
    const topic = `${id}/jobs`;
    const rec = new Recorder<string>();
    const make = (key: string, group: string): Type<unknown> => {
      @Injectable()
      class Worker {
        @Subscribe({ pubsub: 'mqttps', topic: `$share/${group}/${topic}` })
        async on(data: string) {
          rec.add(key, data);
          await sleep(10);
        }
      }
      return Worker;
    };
    await app(`${id}-w`, { consumerID: `${id}-w1`, cleanSession: 'true' }, [make('w1', `${id}-workers`)]);
    await app(`${id}-w`, { consumerID: `${id}-w2`, cleanSession: 'true' }, [make('w2', `${id}-workers`)]);
    await app(`${id}-audit`, { consumerID: `${id}-audit`, cleanSession: 'true' }, [make('audit', `${id}-audit`)]);
    const publisher = await app(`${id}-pub`, { consumerID: `${id}-pub`, cleanSession: 'true' });
    const n = 40;
    const expected = Array.from({ length: n }, (_, i) => `job-${i}`);
    for (const m of expected) await publisher.get(PubSubService).publish('mqttps', topic, m);
    const workers = () => new Set([...rec.get('w1'), ...rec.get('w2')]);
    await waitFor(() => workers().size === n && new Set(rec.get('audit')).size === n, () => `workers ${workers().size}/${n}, audit ${rec.count('audit')}/${n}`);
    expect([...workers()].sort()).toEqual([...expected].sort());
    expect(rec.count('w1')).toBeGreaterThan(0);
    expect(rec.count('w2')).toBeGreaterThan(0);
    expect(rec.count('w1') + rec.count('w2')).toBe(n);
  });

  it('leaves a message the handler keeps failing unacknowledged; the broker sends it again when the session resumes', async () => {
    const id = uniqueName('unacked');
    const topic = `${id}/tasks`;
    const consumerID = `${id}-c`;
    const rec = new Recorder<string>();
    let failing = true;
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic })
      on(data: string) {
        rec.add('attempt', data);
        if (failing && data === 'poison') return SubscriptionStatus.RETRY;
        rec.add('ok', data);
        return SubscriptionStatus.SUCCESS;
      }
    }
    const first = await app(`${id}-app`, { consumerID }, [Handlers]);
    await first.get(PubSubService).publish('mqttps', topic, 'poison');
    await first.get(PubSubService).publish('mqttps', topic, 'fine');
    // The block's built-in retries (1 + 3 attempts) run out; the message goes back to the driver as RETRY.
    await waitFor(() => rec.get('attempt').filter((d) => d === 'poison').length === 4 && rec.count('ok') === 1, 'the retries to run out');
    await sleep(1000);
    expect(rec.get('attempt').filter((d) => d === 'poison')).toHaveLength(4);
    await closeApp(first);

    failing = false;
    // Same client id, persistent session: the broker delivers the unacknowledged message again.
    const second = await app(`${id}-app`, { consumerID }, [Handlers]);
    await waitFor(() => rec.get('ok').includes('poison'), 'the redelivered message', 20_000);
    // The acknowledged one is not redelivered.
    await sleep(1000);
    expect(rec.get('ok').filter((d) => d === 'fine')).toHaveLength(1);
    await closeApp(second);
    await dropMqttSession(consumerID);
  });

  it('unsubscribeOnClose stops the broker queueing for the session; without it the subscription survives', async () => {
    const id = uniqueName('unsub');
    const kept = `${id}/kept`;
    const dropped = `${id}/dropped`;
    const consumerID = `${id}-c`;
    const rec = new Recorder<string>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic: kept })
      onKept(data: string) {
        rec.add('kept', data);
      }
      @Subscribe({ pubsub: 'mqttps', topic: dropped, metadata: { unsubscribeOnClose: 'true' } })
      onDropped(data: string) {
        rec.add('dropped', data);
      }
    }
    const a = await app(`${id}-app`, { consumerID }, [Handlers]);
    await closeApp(a);
    const raw = await rawMqtt(`${id}-pub`);
    await raw.publishAsync(kept, JSON.stringify({ specversion: '1.0', id: 'k', source: 's', type: 't', data: 'while-down' }), { qos: 1 });
    await raw.publishAsync(dropped, JSON.stringify({ specversion: '1.0', id: 'd', source: 's', type: 't', data: 'while-down' }), { qos: 1 });
    await raw.endAsync();
    const again = await app(`${id}-app`, { consumerID }, [Handlers]);
    await waitFor(() => rec.count('kept') === 1, 'the message queued for the kept subscription');
    await sleep(1000);
    expect(rec.count('dropped')).toBe(0);
    await closeApp(again);
    await dropMqttSession(consumerID);
  });

  it('refuses bad metadata at start-up with a typed error naming the field', async () => {
    const boot = (metadata: Record<string, string>) => startApp({ appId: 'bad-mqtt', components: [component(metadata)] });
    await expect(boot({ url: '' })).rejects.toThrow(/url/);
    await expect(boot({ url: 'ftp://127.0.0.1:1883' })).rejects.toBeInstanceOf(ComponentConfigError);
    await expect(boot({ qos: '3' })).rejects.toThrow(/qos/);
    await expect(boot({ caCert: 'not a pem' })).rejects.toThrow(/caCert.*not PEM/);
    await expect(boot({ url: 'tcp://baduser:badpass@127.0.0.1:1' })).rejects.toThrow();
  }, 60_000);
});
