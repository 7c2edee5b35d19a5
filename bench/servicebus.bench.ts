/**
 * pubsub.azure.servicebus.* driver vs the raw @azure/service-bus SDK, against
 * the same AMQP test peer (reference/performance-anchors.md §9.1, target B1:
 * added CPU ≤ 5 µs per message). The peer runs in a child process, so CPU µs
 * per message (process.cpuUsage delta ÷ messages) is the client side only.
 *
 * - publish: `sendMessages` of a 1 KB body with 3 application properties vs
 *   driver `publish` with the same bytes and metadata, 16 in flight;
 * - consume: a pre-filled queue drained by `receiver.subscribe` (peek-lock,
 *   completeMessage, maxConcurrentCalls 100, bytes body) vs the driver's
 *   subscribe with a handler resolving SUCCESS (same credit, same settlement).
 *
 * Rounds alternate raw and driver (A B, then B A, ...) after a warm-up; the
 * report gives medians and the worst round. Run: `npm run bench:servicebus`.
 * Env: BENCH_ROUNDS (5), BENCH_PUBLISH_N (3000), BENCH_CONSUME_N (3000).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import type { DeliveryOutcome, SubscriptionHandle } from 'nest-dapr/spi';
import { ServiceBusQueuesPubSub } from '../libs/dapr/src/components/azure-servicebus/servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from '../libs/dapr/src/components/azure-servicebus/servicebus-topics.pubsub';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PUBLISH_N = Number(process.env.BENCH_PUBLISH_N ?? 3000);
const CONSUME_N = Number(process.env.BENCH_CONSUME_N ?? 3000);
const INFLIGHT = 16;
const CREDIT = 100;
const BODY = randomBytes(512).toString('hex'); // 1 KB of text, like a CloudEvent JSON
const DATA = Buffer.from(BODY);
const METADATA = { tenant: 'acme', region: 'eu', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

interface Sample {
  cpuUsPerMsg: number;
  msgsPerSec: number;
}

async function measure(n: number, run: () => Promise<void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const cpu = process.cpuUsage(cpu0);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpuUsPerMsg: (cpu.user + cpu.system) / n, msgsPerSec: n / secs };
}

async function closedLoop(n: number, op: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      await op();
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
}

async function startPeer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', join(__dirname, '..', 'test/support/swc-register.js'), join(__dirname, 'servicebus.peer-process.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
  });
  return { child, port };
}

/** Fills a queue with `n` messages through batches (not measured). */
async function fill(sender: ServiceBusSender, n: number): Promise<void> {
  let left = n;
  while (left > 0) {
    const batch = await sender.createMessageBatch();
    while (left > 0 && batch.tryAddMessage({ body: DATA, applicationProperties: METADATA })) left--;
    await sender.sendMessages(batch);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { child, port } = await startPeer();
  const cs = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true`;
  const raw = new ServiceBusClient(cs);
  const filler = new ServiceBusClient(cs);
  const md = (type: string) => ({ name: 'bench', type, version: 'v1', appId: 'bench', properties: { connectionString: cs, disableEntityManagement: 'true' } });
  const topics = new ServiceBusTopicsPubSub();
  await topics.init(md('pubsub.azure.servicebus.topics'));
  const queues = new ServiceBusQueuesPubSub();
  await queues.init(md('pubsub.azure.servicebus.queues'));
  const rawSender = raw.createSender('bench-publish-raw');

  const publishRaw = () =>
    measure(PUBLISH_N, () => closedLoop(PUBLISH_N, () => rawSender.sendMessages({ body: DATA, contentType: 'application/cloudevents+json', applicationProperties: METADATA })));
  const publishDriver = () =>
    measure(PUBLISH_N, () =>
      closedLoop(PUBLISH_N, () => topics.publish({ topic: 'bench-publish-driver', data: DATA, metadata: METADATA, contentType: 'application/cloudevents+json' })),
    );

  let q = 0;
  const consumeRaw = async () => {
    const queue = `bench-consume-raw-${q++}`;
    const s = filler.createSender(queue);
    await fill(s, CONSUME_N);
    await s.close();
    const receiver = raw.createReceiver(queue, { skipParsingBodyAsJson: true, maxAutoLockRenewalDurationInMs: 0 });
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    let subscription: { close(): Promise<void> } | undefined;
    const sample = await measure(CONSUME_N, async () => {
      const sub = receiver.subscribe(
        {
          processMessage: async (m) => {
            // The same work the driver's handler contract implies: bytes in, an outcome out.
            void (m.body as Buffer).length;
            await receiver.completeMessage(m);
            if (++seen === CONSUME_N) done();
          },
          processError: async () => undefined,
        },
        { autoCompleteMessages: false, maxConcurrentCalls: CREDIT },
      );
      await finished;
      subscription = sub;
    });
    await subscription?.close();
    await receiver.close();
    return sample;
  };
  const consumeDriver = async () => {
    const queue = `bench-consume-driver-${q++}`;
    const s = filler.createSender(queue);
    await fill(s, CONSUME_N);
    await s.close();
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    let handle!: SubscriptionHandle;
    const sample = await measure(CONSUME_N, async () => {
      handle = await queues.subscribe({ topic: queue, metadata: { maxActiveMessages: String(CREDIT), lockRenewalInSec: '0' } }, async (m): Promise<DeliveryOutcome> => {
        void m.data.length;
        if (++seen === CONSUME_N) setImmediate(done);
        return 'SUCCESS';
      });
      await finished;
    });
    // Closing the link is not per-message work (the raw side closes its receiver outside the window too).
    await handle.stop();
    return sample;
  };

  const scenarios = [
    { name: 'publish (1 KB, 16 in flight)', raw: publishRaw, driver: publishDriver },
    { name: 'consume (peek-lock + complete, credit 100)', raw: consumeRaw, driver: consumeDriver },
  ];
  console.log(`Service Bus driver vs raw SDK; peer in a child process; ${ROUNDS} rounds after warm-up; Node ${process.version}`);
  for (const sc of scenarios) {
    await sc.raw();
    await sc.driver(); // warm-up
    const rawS: Sample[] = [];
    const drvS: Sample[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        rawS.push(await sc.raw());
        drvS.push(await sc.driver());
      } else {
        drvS.push(await sc.driver());
        rawS.push(await sc.raw());
      }
    }
    const added = rawS.map((s, i) => drvS[i].cpuUsPerMsg - s.cpuUsPerMsg);
    const ratios = rawS.map((s, i) => drvS[i].msgsPerSec / s.msgsPerSec);
    console.log(
      `${sc.name}: raw ${median(rawS.map((s) => s.cpuUsPerMsg)).toFixed(1)} µs/msg (${median(rawS.map((s) => s.msgsPerSec)).toFixed(0)} msg/s), ` +
        `driver ${median(drvS.map((s) => s.cpuUsPerMsg)).toFixed(1)} µs/msg (${median(drvS.map((s) => s.msgsPerSec)).toFixed(0)} msg/s); ` +
        `added CPU median ${median(added).toFixed(1)} µs/msg (worst ${Math.max(...added).toFixed(1)}); ` +
        `throughput ratio median ${median(ratios).toFixed(3)} (worst ${Math.min(...ratios).toFixed(3)})`,
    );
  }
  await rawSender.close();
  await Promise.allSettled([topics.close(), queues.close(), raw.close(), filler.close()]);
  child.kill('SIGTERM');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
