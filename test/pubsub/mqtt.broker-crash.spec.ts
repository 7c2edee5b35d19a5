import type { INestApplication } from '@nestjs/common';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSubService, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { uniqueName, waitFor } from './support/broker-test-utils';
import { exited, linesOf, startChildConsumer } from './support/child-consumer';
import { dropMqttSession, MQTT_URL } from './support/mqtt-test-utils';

/**
 * At-least-once under a crash, as broker-crash.spec.ts does for Kafka and
 * Redis: a consumer process (QoS 1, persistent session, client id = its app
 * id) is SIGKILLed mid-stream; the messages it had not acknowledged stay with
 * the broker, which sends them — and everything queued since — when the
 * restarted consumer resumes the session. Every message is handled at least once.
 */
const N = 300;

describe('pubsub.mqtt3: at-least-once when the consumer process is killed', () => {
  let dir: string;
  let publisher: INestApplication | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-mqtt-crash-'));
  });

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    children.length = 0;
    await publisher?.close();
    publisher = undefined;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`handles every one of ${N} messages after a SIGKILL mid-stream and a restart`, async () => {
    const run = uniqueName('mqtt-crash');
    const topic = `${run}/orders`;
    const appId = `${run}-consumer`;
    const def: ComponentDefinition = { name: 'ps', type: 'pubsub.mqtt3', metadata: { url: MQTT_URL, qos: '1', cleanSession: 'false' } };
    const out = join(dir, `${run}.log`);
    try {
      // The publisher needs no session of its own on the shared broker.
      publisher = await startApp({ appId: `${run}-publisher`, components: [{ ...def, metadata: { ...def.metadata, cleanSession: 'true' } }] });
      const pubsub = publisher.get(PubSubService);

      // Handlers run concurrently up to the broker's in-flight window; 50 ms each keeps the stream going for a while.
      const first = await startChildConsumer({ appId, topic, out, component: def, delayMs: 50 });
      children.push(first);
      for (let i = 0; i < N; i++) await pubsub.publish('ps', topic, `m${i}`);

      await waitFor(() => linesOf(out).length >= 40, 'the first consumer to handle some messages', 30_000);
      first.kill('SIGKILL');
      await exited(first);
      const handledBeforeCrash = new Set(linesOf(out));
      // The crash really happened mid-stream.
      expect(handledBeforeCrash.size).toBeLessThan(N);

      const second = await startChildConsumer({ appId, topic, out, component: def });
      children.push(second);
      const expected = Array.from({ length: N }, (_, i) => `m${i}`);
      await waitFor(
        () => {
          const seen = new Set(linesOf(out));
          return expected.every((m) => seen.has(m));
        },
        'every message handled at least once',
        45_000,
      );
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(children.map(exited));
      await dropMqttSession(appId);
    }
  }, 120_000);
});
