import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaArgs, runKafkaJava, type KafkaInstallation } from './kafka-installation';
import { freePorts } from '../../support/free-port';

/** A single-node Kafka this test process started for itself, with a listener the shared broker lacks. */
export interface PrivateKafka {
  /** host:port of the client listener. */
  brokers: string;
  /** The broker's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface PrivateKafkaOptions {
  /** Security protocol and broker settings of the client listener (named CLIENT), e.g. SASL_PLAINTEXT + its JAAS config. */
  protocol: 'PLAINTEXT' | 'SASL_PLAINTEXT';
  properties: Record<string, string>;
  startTimeoutMs?: number;
}

/**
 * Starts a KRaft broker+controller from the shared installation's jars, on
 * free ports and a temporary data folder, so a test can use a listener
 * configuration (SASL/OAUTHBEARER, …) the shared broker on 9092 cannot get
 * without a restart that would disturb every other suite. Inter-broker
 * traffic uses a separate PLAINTEXT listener, so the broker needs no client
 * credentials of its own. `stop` kills the JVM (by the pid it started) and
 * removes the folder.
 */
export async function startPrivateKafka(k: KafkaInstallation, o: PrivateKafkaOptions): Promise<PrivateKafka> {
  const [client, internal, controller] = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-kafka-'));
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controller}`,
    listeners: `CLIENT://127.0.0.1:${client},INTERNAL://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller}`,
    'advertised.listeners': `CLIENT://127.0.0.1:${client},INTERNAL://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'INTERNAL',
    'listener.security.protocol.map': `CLIENT:${o.protocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
    'log.dirs': join(dir, 'data'),
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    'num.network.threads': '2',
    'num.io.threads': '2',
    ...o.properties,
  };
  const config = join(dir, 'server.properties');
  writeFileSync(config, Object.entries(props).map(([key, v]) => `${key}=${v}`).join('\n') + '\n');
  const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
  await runKafkaJava(k, 'kafka.tools.StorageTool', ['format', '--config', config, '--cluster-id', clusterId, '--standalone']);

  // Quiet like scripts/kafka.sh, but with the authentication outcomes (Selector logs failed ones).
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      'logger.started.name = kafka.server.KafkaRaftServer',
      'logger.started.level = INFO',
      'logger.selector.name = org.apache.kafka.common.network.Selector',
      'logger.selector.level = INFO',
      'logger.authenticator.name = org.apache.kafka.common.security.authenticator',
      'logger.authenticator.level = INFO',
      'logger.oauth.name = org.apache.kafka.common.security.oauthbearer',
      'logger.oauth.level = INFO',
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'kafka.log');
  writeFileSync(logFile, '');
  const out = openSync(logFile, 'a');
  const jvm: ChildProcess = spawn('java', [...javaArgs(k, '-Xmx384m', log4j), 'kafka.Kafka', config], { stdio: ['ignore', out, out] });
  let exited = false;
  const gone = new Promise<void>((resolve) => jvm.once('exit', () => ((exited = true), resolve())));
  const log = () => readFileSync(logFile, 'utf8');
  const stop = async () => {
    if (!exited) {
      jvm.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 90_000);
  while (!log().includes('Kafka Server started')) {
    if (exited || Date.now() > deadline) {
      const tail = log().split('\n').slice(-40).join('\n');
      await stop();
      throw new Error(`private Kafka did not start (${exited ? 'the JVM exited' : 'timed out'}):\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { brokers: `127.0.0.1:${client}`, log, stop };
}

