/**
 * The raw-client side of the pub/sub benchmark for NATS JetStream: the plain
 * nats client doing what pubsub.jetstream does — publish the Dapr CloudEvent
 * 1.0 JSON on the subject with its id as Nats-Msg-Id and wait for the
 * stream's ack; consume through a push consumer (explicit ack, filtered on the
 * subject), decode the envelope, call the handler, ack — one message at a
 * time, as the driver's default `concurrency: single`.
 */
import { randomUUID } from 'node:crypto';
import { connect, consumerOpts, createInbox, AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { cloudEvent, type OnData, type RawSide } from './pubsub.baselines';

/** One stream per subject, as a user would create for Dapr's component. */
export async function createNatsStreams(url: string, subjects: string[], streamOf: (subject: string) => string): Promise<void> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  for (const subject of subjects) await jsm.streams.add({ name: streamOf(subject), subjects: [subject] });
  await nc.close();
}

export async function deleteNatsStreams(url: string, names: string[]): Promise<void> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
}

export async function rawNats(opts: { url: string; stream: string; topic: string; onData: OnData }): Promise<RawSide> {
  const nc: NatsConnection = await connect({ servers: opts.url });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const info = await jsm.consumers.add(opts.stream, {
    deliver_subject: createInbox(),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.Explicit,
    filter_subject: opts.topic,
  });
  const co = consumerOpts();
  co.bind(opts.stream, info.name);
  co.manualAck();
  const sub = await js.subscribe(opts.topic, co);
  const loop = (async () => {
    for await (const m of sub) {
      const ce = JSON.parse(new TextDecoder().decode(m.data)) as { data: unknown };
      opts.onData(ce.data);
      m.ack();
    }
  })();
  return {
    publish: async (topic, data) => {
      const id = randomUUID();
      await js.publish(topic, cloudEvent('bench', topic, 'natsps', data, id), { msgID: id });
    },
    close: async () => {
      sub.unsubscribe();
      await loop;
      await nc.drain();
    },
  };
}
