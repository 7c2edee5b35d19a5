/**
 * Pub/sub: nest-dapr (PubSubService → driver → @Subscribe handler) vs the raw
 * clients doing the same work in the same process and run
 * (reference/performance-anchors.md §9.1, targets K1/K2/K4):
 * - publish throughput: 16 publishes in flight, ~1 KB JSON, CloudEvent envelope on both sides;
 * - publish→handler throughput: M messages published (16 in flight) until the handler saw all;
 * - publish→handler latency at a fixed rate (open loop, timed from the scheduled send);
 * rounds alternate raw and nest-dapr (A B, B A, ...) after a warm-up; ratios are
 * nest-dapr ÷ raw per round, reported as median and worst round.
 * Raw sides: kafkajs producer.send / consumer eachMessage (autoCommit), ioredis
 * XADD / XREADGROUP + XACK with 10 handlers at a time (bench/pubsub.baselines.ts), nats
 * js.publish / push consumer + ack (bench/pubsub.nats.baseline.ts), amqplib confirmed publish /
 * consume + ack with prefetch 100 (bench/pubsub.rabbitmq.baseline.ts), mqtt.js publish / subscribe
 * at QoS 1 (bench/pubsub.mqtt.baseline.ts).
 * @nestjs/microservices: its Kafka transport (ClientKafka.emit → @EventPattern) next to the same
 * app on DaprTransport (ClientDapr.emit → @EventPattern), rounds alternating.
 *
 * Run: `npm run bench:pubsub`. Env: BENCH_ROUNDS (5), BENCH_ROUND_MS (2000),
 * BENCH_E2E_MESSAGES (3000), BENCH_RATE (300 msg/s), BENCH_LAT_MS (3000),
 * BENCH_ONLY=kafka|redis|nats|rabbitmq|mqtt|nest, BENCH_NEST=0 to skip the Nest transport rows (Transport.KAFKA and
 * DaprTransport, BENCH_NEST_ROUNDS alternating rounds, default 3),
 * BENCH_RABBIT_CONFIRM=0 (RabbitMQ without publisher confirms), KAFKA_BROKERS, REDIS_HOST, NATS_URL, RABBITMQ_URL, MQTT_URL.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { DaprModule, PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { median, runComparison } from './state.harness';
import { rawKafka, rawRedis, type RawSide } from './pubsub.baselines';
import { daprTransportReference, nestKafkaReference, type NestReferenceResult } from './pubsub.nest-reference';
import { createNatsStreams, deleteNatsStreams, rawNats } from './pubsub.nats.baseline';
import { rawRabbit } from './pubsub.rabbitmq.baseline';
import { rawMqtt } from './pubsub.mqtt.baseline';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const E2E = Number(process.env.BENCH_E2E_MESSAGES ?? 3000);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const LAT_MS = Number(process.env.BENCH_LAT_MS ?? 3000);
const NEST_ROUNDS = Number(process.env.BENCH_NEST_ROUNDS ?? 3);
const INFLIGHT = 16;
const ONLY = process.env.BENCH_ONLY;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS = process.env.REDIS_HOST ?? '127.0.0.1:6379';
const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const MQTT = process.env.MQTT_URL ?? 'tcp://127.0.0.1:1883';
const PAD = 'x'.repeat(900);
// RabbitMQ: BENCH_RABBIT_CONFIRM=0 publishes without publisher confirms on both sides.
const RABBITMQ = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RABBIT_CONFIRM = process.env.BENCH_RABBIT_CONFIRM !== '0';

interface Counter {
  count: number;
  latencies: number[];
}

interface Payload {
  seq: number;
  t?: number;
  pad: string;
}

function sink(c: Counter) {
  return (data: unknown): void => {
    c.count++;
    const t = (data as Payload).t;
    if (t !== undefined) c.latencies.push(performance.now() - t);
  };
}

interface Broker {
  label: string;
  pubsub: string;
  pubTopic: string;
  e2eTopic: string;
  raw: RawSide;
  /** The raw side's topics, when not derived from the label below. */
  rawTopics?: { pub: string; e2e: string };
  rawCounter: Counter;
  fwCounter: Counter;
}

async function main(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const wantKafka = !ONLY || ONLY === 'kafka' || ONLY === 'nest';
  const wantRedis = !ONLY || ONLY === 'redis';
  const wantNats = !ONLY || ONLY === 'nats';
  // BENCH_ONLY=nest: only the @nestjs/microservices rows (Transport.KAFKA and DaprTransport).
  const wantBrokers = ONLY !== 'nest';
  const wantRabbit = !ONLY || ONLY === 'rabbitmq';
  const wantMqtt = !ONLY || ONLY === 'mqtt';
  const mqttTopic = (name: string) => `bench/${run}/${name}`;
  const mqttFw: Counter = { count: 0, latencies: [] };
  const topics = {
    kPub: `bench-${run}-k-pub`,
    kE2e: `bench-${run}-k-e2e`,
    kRawPub: `bench-${run}-k-raw-pub`,
    kRawE2e: `bench-${run}-k-raw-e2e`,
    rPub: `bench-${run}-r-pub`,
    rE2e: `bench-${run}-r-e2e`,
    rRawPub: `bench-${run}-r-raw-pub`,
    rRawE2e: `bench-${run}-r-raw-e2e`,
    nPub: `bench.${run}.n-pub`,
    nE2e: `bench.${run}.n-e2e`,
    nRawPub: `bench.${run}.n-raw-pub`,
    nRawE2e: `bench.${run}.n-raw-e2e`,
  };
  // JetStream: one stream per subject, created up front as Dapr expects.
  const natsSubjects = [topics.nPub, topics.nE2e, topics.nRawPub, topics.nRawE2e];
  const natsStream = (subject: string) => subject.replace(/\./g, '-');
  if (wantNats) await createNatsStreams(NATS, natsSubjects, natsStream);
  const natsFw: Counter = { count: 0, latencies: [] };
  const kafkaFw: Counter = { count: 0, latencies: [] };
  const redisFw: Counter = { count: 0, latencies: [] };

  if (wantKafka) {
    const admin = new Kafka({ brokers: [BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topics.kPub, topics.kE2e, topics.kRawPub, topics.kRawE2e, `bench-${run}-k-nest`].map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
    await admin.disconnect();
  }

  const components: ComponentDefinition[] = [];
  if (wantKafka) components.push({ name: 'kafkaps', type: 'pubsub.kafka', metadata: { brokers: BROKERS, initialOffset: 'oldest' } });
  if (wantRedis) components.push({ name: 'redisps', type: 'pubsub.redis', metadata: { redisHost: REDIS } });
  if (wantNats) components.push({ name: 'natsps', type: 'pubsub.jetstream', metadata: { natsURL: NATS } });
  if (wantRabbit) {
    const metadata = { connectionString: RABBITMQ, prefetchCount: '100', publisherConfirm: String(RABBIT_CONFIRM) };
    components.push({ name: 'rabbitps', type: 'pubsub.rabbitmq', metadata });
  }
  const rabbitFw: Counter = { count: 0, latencies: [] };
  const onRabbit = sink(rabbitFw);
  @Injectable()
  class RabbitHandlers {
    @Subscribe({ pubsub: 'rabbitps', topic: `bench-${run}-rb-e2e` })
    rabbit(data: Payload): void {
      onRabbit(data);
    }
  }
  if (wantMqtt) components.push({ name: 'mqttps', type: 'pubsub.mqtt3', metadata: { url: MQTT, consumerID: `bench-${run}`, cleanSession: 'true' } });

  const onKafka = sink(kafkaFw);
  const onRedis = sink(redisFw);
  @Injectable()
  class KafkaHandlers {
    @Subscribe({ pubsub: 'kafkaps', topic: topics.kE2e })
    kafka(data: Payload): void {
      onKafka(data);
    }
  }
  @Injectable()
  class RedisHandlers {
    @Subscribe({ pubsub: 'redisps', topic: topics.rE2e })
    redis(data: Payload): void {
      onRedis(data);
    }
  }
  const onNats = sink(natsFw);
  @Injectable()
  class NatsHandlers {
    @Subscribe({ pubsub: 'natsps', topic: topics.nE2e })
    nats(data: Payload): void {
      onNats(data);
    }
  }
  const onMqtt = sink(mqttFw);
  @Injectable()
  class MqttHandlers {
    @Subscribe({ pubsub: 'mqttps', topic: mqttTopic('e2e') })
    mqtt(data: Payload): void {
      onMqtt(data);
    }
  }
  const providers = [...(wantKafka ? [KafkaHandlers] : []), ...(wantRedis ? [RedisHandlers] : []), ...(wantNats ? [NatsHandlers] : []), ...(wantRabbit ? [RabbitHandlers] : []), ...(wantMqtt ? [MqttHandlers] : [])];
  @Module({ imports: [DaprModule.forRoot({ appId: `bench-${run}`, components })], providers })
  class BenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const pubsub = app.get(PubSubService);

  const brokers: Broker[] = [];
  if (wantKafka && wantBrokers) {
    const rawCounter: Counter = { count: 0, latencies: [] };
    const raw = await rawKafka({ brokers: BROKERS, topic: topics.kRawE2e, groupId: `bench-${run}-raw`, onData: sink(rawCounter) });
    brokers.push({ label: 'kafka', pubsub: 'kafkaps', pubTopic: topics.kPub, e2eTopic: topics.kE2e, raw, rawCounter, fwCounter: kafkaFw });
  }
  if (wantRedis) {
    const rawCounter: Counter = { count: 0, latencies: [] };
    const raw = await rawRedis({ host: REDIS, topic: topics.rRawE2e, group: `bench-${run}-raw`, onData: sink(rawCounter) });
    brokers.push({ label: 'redis', pubsub: 'redisps', pubTopic: topics.rPub, e2eTopic: topics.rE2e, raw, rawCounter, fwCounter: redisFw });
  }
  if (wantRabbit) {
    const rawCounter: Counter = { count: 0, latencies: [] };
    const [rawPubTopic, rawE2eTopic] = [`bench-${run}-rb-raw-pub`, `bench-${run}-rb-raw-e2e`];
    const raw = await rawRabbit({ url: RABBITMQ, topic: rawE2eTopic, queue: `bench-${run}-raw-${rawE2eTopic}`, prefetch: 100, confirm: RABBIT_CONFIRM, onData: sink(rawCounter) });
    const label = RABBIT_CONFIRM ? 'rabbitmq' : 'rabbitmq (no confirms)';
    brokers.push({ label, pubsub: 'rabbitps', pubTopic: `bench-${run}-rb-pub`, e2eTopic: `bench-${run}-rb-e2e`, raw, rawTopics: { pub: rawPubTopic, e2e: rawE2eTopic }, rawCounter, fwCounter: rabbitFw });
  }

  if (wantNats) {
    const rawCounter: Counter = { count: 0, latencies: [] };
    const raw = await rawNats({ url: NATS, stream: natsStream(topics.nRawE2e), topic: topics.nRawE2e, onData: sink(rawCounter) });
    const rawTopics = { pub: topics.nRawPub, e2e: topics.nRawE2e };
    brokers.push({ label: 'nats', pubsub: 'natsps', pubTopic: topics.nPub, e2eTopic: topics.nE2e, raw, rawTopics, rawCounter, fwCounter: natsFw });
  }

  if (wantMqtt) {
    const rawCounter: Counter = { count: 0, latencies: [] };
    const raw = await rawMqtt({ url: MQTT, clientId: `bench-${run}-raw`, topic: mqttTopic('raw-e2e'), onData: sink(rawCounter) });
    brokers.push({ label: 'mqtt', pubsub: 'mqttps', pubTopic: mqttTopic('pub'), e2eTopic: mqttTopic('e2e'), raw, rawCounter, fwCounter: mqttFw, rawTopics: { pub: mqttTopic('raw-pub'), e2e: mqttTopic('raw-e2e') } });
  }

  const report: string[] = [];
  const line = (s: string) => {
    report.push(s);
    console.log(s);
  };

  for (const b of brokers) {
    const rawPubTopic = b.rawTopics?.pub ?? (b.label === 'kafka' ? topics.kRawPub : topics.rRawPub);
    const rawE2eTopic = b.rawTopics?.e2e ?? (b.label === 'kafka' ? topics.kRawE2e : topics.rRawE2e);

    // K1: publish throughput.
    const pub = await runComparison(
      {
        name: `${b.label} publish`,
        baseline: (i) => b.raw.publish(rawPubTopic, { seq: i, pad: PAD }),
        candidate: (i) => pubsub.publish(b.pubsub, b.pubTopic, { seq: i, pad: PAD }),
      },
      { rounds: ROUNDS, roundMs: ROUND_MS, inflight: INFLIGHT },
    );
    const pubRaw = median(pub.baseline.map((s) => s.opsPerSec));
    const pubFw = median(pub.candidate.map((s) => s.opsPerSec));
    line(
      `| ${b.label} | publish, 16 in flight, 1 KB | ${fmt(pubRaw)} msg/s, ${median(pub.baseline.map((s) => s.cpuUsPerOp)).toFixed(0)} µs CPU | ${fmt(pubFw)} msg/s, ${median(pub.candidate.map((s) => s.cpuUsPerOp)).toFixed(0)} µs CPU | **${median(pub.ratios).toFixed(2)}×** (worst ${Math.min(...pub.ratios).toFixed(2)}) |`,
    );

    // K2: publish→handler throughput.
    const rawE2e = (n: number, i0: number) => burst(n, (i) => b.raw.publish(rawE2eTopic, { seq: i0 + i, pad: PAD }), b.rawCounter);
    const fwE2e = (n: number, i0: number) => burst(n, (i) => pubsub.publish(b.pubsub, b.e2eTopic, { seq: i0 + i, pad: PAD }), b.fwCounter);
    await rawE2e(Math.min(500, E2E), 0);
    await fwE2e(Math.min(500, E2E), 0);
    const e2e = { raw: [] as Sample[], fw: [] as Sample[], ratios: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ['raw', 'fw'] : ['fw', 'raw'];
      const got: Record<string, Sample> = {};
      for (const side of order) got[side] = side === 'raw' ? await rawE2e(E2E, r * E2E) : await fwE2e(E2E, r * E2E);
      e2e.raw.push(got.raw);
      e2e.fw.push(got.fw);
      e2e.ratios.push(got.fw.perSec / got.raw.perSec);
      console.log(`${b.label} publish→handler round ${r + 1}: raw ${fmt(got.raw.perSec)} msg/s, nest-dapr ${fmt(got.fw.perSec)} msg/s`);
    }
    line(
      `| ${b.label} | publish→handler, ${E2E} msgs, 16 in flight | ${fmt(median(e2e.raw.map((s) => s.perSec)))} msg/s, ${median(e2e.raw.map((s) => s.cpuUs)).toFixed(0)} µs CPU | ${fmt(median(e2e.fw.map((s) => s.perSec)))} msg/s, ${median(e2e.fw.map((s) => s.cpuUs)).toFixed(0)} µs CPU | **${median(e2e.ratios).toFixed(2)}×** (worst ${Math.min(...e2e.ratios).toFixed(2)}) |`,
    );

    // K4: latency at a fixed rate.
    b.rawCounter.latencies = [];
    b.fwCounter.latencies = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ['raw', 'fw'] : ['fw', 'raw'];
      for (const side of order) {
        if (side === 'raw') await fixedRate((p) => b.raw.publish(rawE2eTopic, p), b.rawCounter);
        else await fixedRate((p) => pubsub.publish(b.pubsub, b.e2eTopic, p), b.fwCounter);
      }
    }
    const lr = percentiles(b.rawCounter.latencies);
    const lf = percentiles(b.fwCounter.latencies);
    line(
      `| ${b.label} | latency at ${RATE} msg/s (p50 / p99) | ${lr.p50.toFixed(2)} / ${lr.p99.toFixed(2)} ms | ${lf.p50.toFixed(2)} / ${lf.p99.toFixed(2)} ms | added p50 ${(lf.p50 - lr.p50).toFixed(2)} ms, p99 ${(lf.p99 - lr.p99).toFixed(2)} ms |`,
    );
  }

  if (wantKafka && process.env.BENCH_NEST !== '0') {
    // @nestjs/microservices on the same broker: Transport.KAFKA as written, and the same app on DaprTransport
    // (only the transport/client options differ). Rounds alternate the two sides; medians reported.
    const sides = { kafka: [] as NestReferenceResult[], dapr: [] as NestReferenceResult[] };
    for (let r = 0; r < NEST_ROUNDS; r++) {
      const order = r % 2 === 0 ? (['kafka', 'dapr'] as const) : (['dapr', 'kafka'] as const);
      for (const side of order) {
        const o = { brokers: BROKERS, topic: `bench-${run}-k-nest-${side}-${r}`, messages: E2E, rate: RATE, latencyMs: LAT_MS, pad: PAD };
        sides[side].push(side === 'kafka' ? await nestKafkaReference(o) : await daprTransportReference(o));
      }
    }
    const med = (list: NestReferenceResult[], k: keyof NestReferenceResult) => median(list.map((x) => x[k]));
    const row = (label: string, list: NestReferenceResult[]) =>
      line(
        `| kafka | ${label}, publish→handler (${NEST_ROUNDS} rounds: ${list.map((x) => fmt(x.perSec)).join(', ')} msg/s) | ${fmt(med(list, 'perSec'))} msg/s; latency at ${RATE} msg/s p50 / p99 ${med(list, 'p50').toFixed(2)} / ${med(list, 'p99').toFixed(2)} ms | — | — |`,
      );
    row('@nestjs/microservices Transport.KAFKA (ClientKafka.emit → @EventPattern)', sides.kafka);
    row('the same app on DaprTransport (ClientDapr.emit → @EventPattern, pubsub.kafka)', sides.dapr);
  }

  for (const b of brokers) await b.raw.close();
  await app.close();
  if (wantRedis) {
    const redis = new Redis(REDIS);
    await redis.del(topics.rPub, topics.rE2e, topics.rRawPub, topics.rRawE2e);
    await redis.quit();
  }
  if (wantNats) await deleteNatsStreams(NATS, natsSubjects.map(natsStream));
  console.log('\n| Broker | Scenario | raw client | nest-dapr | nest-dapr ÷ raw |\n|---|---|---|---|---|');
  for (const l of report) console.log(l);
}

interface Sample {
  perSec: number;
  cpuUs: number;
}

/** Publishes `n` messages with 16 in flight and waits until the handler counted them all. */
async function burst(n: number, publish: (i: number) => Promise<void>, counter: Counter): Promise<Sample> {
  const target = counter.count + n;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) await publish(next++);
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const deadline = Date.now() + 60_000;
  while (counter.count < target) {
    if (Date.now() > deadline) throw new Error(`only ${counter.count - (target - n)} of ${n} messages arrived`);
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: n / seconds, cpuUs: (cpu.user + cpu.system) / n };
}

/** Open loop: one publish every 1/RATE s for LAT_MS, each stamped with its scheduled time. */
async function fixedRate(publish: (p: Payload) => Promise<void>, counter: Counter): Promise<void> {
  const n = Math.round((RATE * LAT_MS) / 1000);
  const target = counter.count + n;
  const interval = 1000 / RATE;
  const start = performance.now() + 5;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + i * interval;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(publish({ seq: i, t: at, pad: PAD }));
  }
  await Promise.all(sends);
  const deadline = Date.now() + 30_000;
  while (counter.count < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

function percentiles(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
