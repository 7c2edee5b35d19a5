import { Injectable, type INestApplication } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { Recorder, startApp, waitFor } from './pubsub-test-kit';
import { uniqueName } from './support/broker-test-utils';
import { PrivateMosquitto } from './support/private-mosquitto';

/**
 * pubsub.mqtt3 over mutual TLS, as Dapr configures it: an `ssl://` URL and
 * the PEM texts `caCert` (verifies the broker), `clientCert` and `clientKey`
 * (the broker requires a client certificate). A private Mosquitto with a TLS
 * listener and certificates made here with openssl.
 */
describe('pubsub.mqtt3 over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-mqtt-tls-'));
  const file = (name: string) => join(dir, name);
  const pem = (name: string) => readFileSync(file(name), 'utf8');
  let broker: PrivateMosquitto | undefined;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=nest-dapr test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const [name, cn, ext] of [
      ['server', '127.0.0.1', ['-extfile', 'server.ext']],
      ['client', 'nest-dapr-client', []],
    ] as const) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...ext);
    }
    broker = await PrivateMosquitto.start([
      `cafile ${file('ca.crt')}`,
      `certfile ${file('server.crt')}`,
      `keyfile ${file('server.key')}`,
      'require_certificate true',
    ]);
  }, 60_000);

  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  afterAll(async () => {
    await broker?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const component = (metadata: Record<string, string>): ComponentDefinition => ({
    name: 'mqttps',
    type: 'pubsub.mqtt3',
    metadata: { url: `ssl://127.0.0.1:${broker!.port}`, caCert: pem('ca.crt'), ...metadata },
  });

  it('publishes and delivers with caCert, clientCert and clientKey', async () => {
    const id = uniqueName('tls');
    const topic = `${id}/secure`;
    const rec = new Recorder<unknown>();
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'mqttps', topic })
      on(data: unknown) {
        rec.add('got', data);
      }
    }
    const a = await startApp({
      appId: `${id}-app`,
      components: [component({ clientCert: pem('client.crt'), clientKey: pem('client.key'), cleanSession: 'true' })],
      providers: [Handlers],
    });
    apps.push(a);
    await a.get(PubSubService).publish('mqttps', topic, { over: 'tls' });
    await waitFor(() => rec.count('got') === 1, 'the event over TLS');
    expect(rec.get('got')).toEqual([{ over: 'tls' }]);
  }, 60_000);

  it('fails to start without the client certificate the broker requires', async () => {
    // The broker ends every TLS handshake; the runtime's init timeout (5 s) stops start-up and closes the driver,
    // which must end the connection attempts (Jest reports a client still reconnecting after the run).
    await expect(startApp({ appId: uniqueName('tls-nocert'), components: [component({ cleanSession: 'true' })] })).rejects.toThrow(
      /pubsub\.mqtt3\) failed to initialise/,
    );
  }, 60_000);
});
