import { MissingPackageError } from '../../errors/component-init.error';
import { MqttBinding } from './mqtt.binding';
import { MqttPubSub } from './mqtt.pubsub';

// mqtt.js is an optional peer: here it is "not installed".
jest.mock('mqtt', () => {
  throw Object.assign(new Error("Cannot find module 'mqtt' from 'load-package.ts'"), { code: 'MODULE_NOT_FOUND' });
});

describe('mqtt3 drivers without the mqtt package', () => {
  const md = (type: string, properties: Record<string, string>) => ({ name: 'm', type, version: 'v1', appId: 'app', properties });

  it('pubsub.mqtt3 fails init naming the npm command', async () => {
    const driver = new MqttPubSub();
    const err = await driver.init(md('pubsub.mqtt3', { url: 'tcp://127.0.0.1:1883' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPackageError);
    expect((err as Error).message).toBe('component pubsub.mqtt3 needs the package mqtt: npm install mqtt');
    await driver.close();
  });

  it('bindings.mqtt3 fails init naming the npm command', async () => {
    const driver = new MqttBinding();
    const err = await driver.init(md('bindings.mqtt3', { url: 'tcp://127.0.0.1:1883', topic: 't', consumerID: 'c' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPackageError);
    expect((err as Error).message).toBe('component bindings.mqtt3 needs the package mqtt: npm install mqtt');
    await driver.close();
  });
});
