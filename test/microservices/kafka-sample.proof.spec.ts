/**
 * The proof of `nest-dapr/microservices` (issue 17): the Nest docs' Kafka
 * microservice (samples/kafka-microservice — a consumer made with
 * createMicroservice, `@MessagePattern('hero.kill.dragon')` and
 * `@EventPattern('hero.killed.dragon')`; a producer with `ClientKafka.send/emit`)
 * runs first as written, on `Transport.KAFKA`, then on `DaprTransport` /
 * `ClientDapr` — only the transport and client options differ
 * (samples/kafka-microservice/src/transport.dapr.ts) — on Kafka, Redis and
 * Azure Service Bus, where only the component YAML differs (fixtures/<broker>).
 *
 * Same answers everywhere; the difference is the poison message (a kill of
 * dragon 0, which the handler rejects every time): on Transport.KAFKA it is
 * retried without end and the partition stalls behind it, so the next kill is
 * never booked; on DaprTransport it is retried under the resiliency policy,
 * then published to the dead-letter topic, and the kills behind it are booked.
 */
import { Injectable, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel } from 'kafkajs';
import { join } from 'node:path';
import { DaprModule, Subscribe, type CloudEvent } from 'nest-dapr';
import { GameService } from '../../samples/kafka-microservice/src/game/game.service';
import { HeroesLedger } from '../../samples/kafka-microservice/src/heroes/heroes.ledger';
import type { HeroKilledDragonEvent } from '../../samples/kafka-microservice/src/heroes/hero.messages';
import { startGame, startHeroes } from '../../samples/kafka-microservice/src/main';
import type { SampleTransport } from '../../samples/kafka-microservice/src/sample-transport';
import { daprTransport } from '../../samples/kafka-microservice/src/transport.dapr';
import { kafkaTransport } from '../../samples/kafka-microservice/src/transport.kafka';
import { runId, sleep, waitFor } from '../pubsub/pubsub-test-kit';
import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { freePort } from '../support/free-port';

jest.setTimeout(300_000);

const RUN = runId();
const ITEMS = [
  { id: 1, name: 'Mythical Sword' },
  { id: 2, name: 'Key to Dungeon' },
];
const POISON: HeroKilledDragonEvent = { heroId: 2, dragonId: 0 };

/** Dead letters as a third app sees them (the original CloudEvent, raw). */
const deadLetters: CloudEvent<HeroKilledDragonEvent>[] = [];

@Injectable()
class DeadLetterWatch {
  @Subscribe({ pubsub: 'pubsub', topic: 'hero.dead-letters', metadata: { rawPayload: 'true' } })
  onDeadLetter(original: CloudEvent<HeroKilledDragonEvent>) {
    deadLetters.push(original);
  }
}

/**
 * The docs' topic names are fixed, and a poison message left by an earlier run would stall this
 * run's consumer too (that is the point): the sample's topics start empty. ServerKafka also does
 * not start on topics that do not exist yet, so they are created, as its docs ask.
 */
async function freshSampleTopics(): Promise<void> {
  const topics = ['hero.kill.dragon', 'hero.kill.dragon.reply', 'hero.killed.dragon'];
  const admin = new Kafka({ clientId: `proof-admin-${RUN}`, brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const old = topics.filter((t) => existing.has(t));
    if (old.length) await admin.deleteTopics({ topics: old, timeout: 30_000 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        // Deletion finishes asynchronously: creating fails ("marked for deletion") until it has.
        await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
        const offsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
        if (offsets.every((parts) => parts.every((p) => p.high === '0'))) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}

interface Run {
  items: unknown;
  booked: number[];
  poisonAttempts: number;
}

/** Runs the sample on one transport: one request, then kills 7, poison, 9. */
async function runSample(transport: SampleTransport, settle: (ledger: HeroesLedger) => Promise<void>): Promise<Run> {
  const started: (INestApplication | INestMicroservice)[] = [];
  try {
    const heroes = await startHeroes(transport);
    started.push(heroes);
    const game = await startGame(transport);
    started.push(game);
    const ledger = heroes.get(HeroesLedger);
    const service = game.get(GameService);
    // The first answer also proves the consumer is subscribed (Kafka joins its group asynchronously).
    const items = await firstAnswer(() => service.killDragon(1, 7));
    // Until the first kill is booked: a Kafka consumer that has not fetched its partition yet starts at the latest offset.
    const deadline = Date.now() + 60_000;
    while (ledger.kills.length === 0) {
      if (Date.now() > deadline) throw new Error('the first kill was never booked');
      await service.heroKilledDragon({ heroId: 1, dragonId: 7 });
      await waitFor(() => ledger.kills.length > 0, 'the first kill', 3_000).catch(() => undefined);
    }
    await service.heroKilledDragon(POISON);
    await service.heroKilledDragon({ heroId: 3, dragonId: 9 });
    await settle(ledger);
    return {
      items,
      booked: [...new Set(ledger.kills.map((k) => k.dragonId))],
      poisonAttempts: ledger.attempts.filter((a) => a.dragonId === 0).length,
    };
  } finally {
    for (const app of started.reverse()) await app.close().catch(() => undefined);
  }
}

/** Asks until the consumer answers (its subscription may still be starting). */
async function firstAnswer<T>(ask: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await ask();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

async function onDapr(broker: 'kafka' | 'redis' | 'servicebus'): Promise<Run & { deadLettered: unknown[] }> {
  process.env.DAPR_COMPONENTS = join(__dirname, 'fixtures', broker);
  process.env.HEROES_PORT = String(await freePort());
  deadLetters.length = 0;
  const watch = await Test.createTestingModule({
    imports: [DaprModule.forRoot({ appId: 'dead-letter-watch', componentsPath: process.env.DAPR_COMPONENTS })],
    providers: [DeadLetterWatch],
  }).compile();
  const watcher = watch.createNestApplication({ logger: ['error'] });
  await watcher.init();
  try {
    const run = await runSample(daprTransport, async (ledger) => {
      await waitFor(() => ledger.kills.some((k) => k.dragonId === 9) && deadLetters.length === 1, () => `${broker}: booked ${JSON.stringify(ledger.kills)}, dead letters ${deadLetters.length}`, 90_000);
    });
    return { ...run, deadLettered: deadLetters.map((e) => ({ data: e.data, topic: e.topic, type: e.type })) };
  } finally {
    await watcher.close();
  }
}

describe('the Nest docs Kafka microservice, moved onto DaprTransport', () => {
  let peer: ServiceBusTestPeer;

  beforeAll(async () => {
    peer = await ServiceBusTestPeer.start({ autoCreate: 'topic' });
    process.env.SERVICEBUS_CONNECTION_STRING = peer.connectionString;
    // Namespace-scoped components (fixtures use {namespace}): this run's topics and consumer groups are its own.
    process.env.NAMESPACE = `ms${RUN}`;
    process.env.KAFKA_BROKERS = '127.0.0.1:9092';
    process.env.KAFKA_GROUP_ID = `hero-consumer-${RUN}`;
  });
  afterAll(async () => {
    for (const k of ['SERVICEBUS_CONNECTION_STRING', 'NAMESPACE', 'KAFKA_BROKERS', 'KAFKA_GROUP_ID', 'DAPR_COMPONENTS', 'HEROES_PORT']) delete process.env[k];
    await peer?.close();
  });

  it('on Transport.KAFKA (as written): answers and books, but a poison message is retried without end and stalls the partition', async () => {
    await freshSampleTopics();
    const run = await runSample(kafkaTransport, async (ledger) => {
      // Long enough for kafkajs to retry the poison message several times (and to book dragon 9, if it ever would).
      await waitFor(() => ledger.attempts.filter((a) => a.dragonId === 0).length >= 3, 'the poison message retried', 60_000);
      await sleep(10_000);
    });
    expect(run.items).toEqual(ITEMS);
    expect(run.poisonAttempts).toBeGreaterThanOrEqual(3);
    // Stalled: the kill published after the poison message is never booked.
    expect(run.booked).toEqual([7]);
  });

  const expected = {
    items: ITEMS,
    booked: [7, 9],
    // The first attempt and the built-in inbound policy's 3 retries; then the dead-letter topic.
    poisonAttempts: 4,
    deadLettered: [{ data: POISON, topic: 'hero.killed.dragon', type: 'com.dapr.event.sent' }],
  };

  it.each(['kafka', 'redis', 'servicebus'] as const)('on DaprTransport over %s: same answers, the poison message retried then dead-lettered', async (broker) => {
    const run = await onDapr(broker);
    expect(run).toEqual(expected);
    if (broker === 'servicebus') {
      // It really went through Service Bus (the SDK's CBS token for this run's topic).
      expect(peer.tokens.some((t) => t.endsWith(`/ms${RUN}hero.killed.dragon`))).toBe(true);
    }
  });
});
