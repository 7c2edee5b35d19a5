import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_BROKERS } from './broker-test-utils';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/** Where the shared test broker keeps its jars and its partitions. */
export interface KafkaInstallation {
  /** The Kafka jars (scripts/kafka.sh puts them in `<checkout>/.kafka/libs`). */
  libsDir: string;
  /** The broker's `log.dirs`: one folder per partition, `<topic>-<partition>`. */
  logDir: string;
}

/**
 * Finds the jars and data of the broker at KAFKA_BROKERS by asking it for its
 * `log.dirs`: scripts/kafka.sh keeps data and jars side by side, and the
 * broker a worktree's tests use may have been started from another checkout.
 * KAFKA_LIBS overrides the jar folder.
 */
export async function sharedKafkaInstallation(): Promise<KafkaInstallation> {
  const kafka = new Kafka({ clientId: 'installation-probe', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 4 /* BROKER */, name: String(brokers[0].nodeId), configNames: ['log.dirs'] }],
    });
    const logDir = described.resources[0].configEntries.find((e) => e.configName === 'log.dirs')?.configValue?.split(',')[0];
    if (!logDir) throw new Error(`the broker at ${KAFKA_BROKERS} reports no log.dirs`);
    const libsDir = process.env.KAFKA_LIBS ?? join(dirname(logDir), 'libs');
    if (!existsSync(libsDir)) {
      throw new Error(`no Kafka jars in ${libsDir} (set KAFKA_LIBS to the folder scripts/kafka.sh fetched them into)`);
    }
    return { libsDir, logDir };
  } finally {
    await admin.disconnect();
  }
}

/** The JVM flags scripts/kafka.sh uses for small, quick-starting tools. */
export function javaArgs(k: KafkaInstallation, heap = '-Xmx128m', log4jConfig = join(ROOT, 'scripts', 'kafka', 'log4j2.properties')): string[] {
  return [
    heap,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    '-cp',
    `${k.libsDir}/*`,
  ];
}

/** Runs a Kafka class (or a single-file Java program) with the broker's jars; resolves with stdout. */
export async function runKafkaJava(k: KafkaInstallation, main: string, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run('java', [...javaArgs(k), main, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`java ${main} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`.slice(0, 4000));
  }
}

/** One record batch as the broker's `kafka.tools.DumpLogSegments` prints it. */
export interface DumpedBatch {
  codec: string;
  count: number;
  /** The records' payloads, decompressed by the broker's own codec. */
  payloads: string[];
}

/** The record batches stored for partition 0 of each topic, read from the broker's log segments. */
export async function dumpRecordBatches(k: KafkaInstallation, topics: string[]): Promise<Map<string, DumpedBatch[]>> {
  const files = topics.map((t) => join(k.logDir, `${t}-0`, '00000000000000000000.log'));
  const out = await runKafkaJava(k, 'kafka.tools.DumpLogSegments', ['--files', files.join(','), '--print-data-log']);
  const result = new Map<string, DumpedBatch[]>();
  let current: DumpedBatch[] | undefined;
  for (const line of out.split('\n')) {
    const file = /^Dumping (.+)$/.exec(line)?.[1];
    if (file) {
      current = [];
      result.set(topics[files.indexOf(file)], current);
      continue;
    }
    const batch = /^baseOffset: .* count: (\d+) .* compresscodec: (\w+)/.exec(line);
    if (batch && current) current.push({ codec: batch[2], count: Number(batch[1]), payloads: [] });
    const record = /^\| offset: .* payload: (.*)$/.exec(line);
    if (record && current?.length) current[current.length - 1].payloads.push(record[1]);
  }
  return result;
}
