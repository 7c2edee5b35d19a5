import type { Logger } from '@nestjs/common';
import type { ConsumerInfo, JetStreamClient, JetStreamManager, JetStreamSubscription, JsMsg } from 'nats';
import type { DeliveryOutcome, PubSubHandler } from '../../spi/pubsub.spi';
import type { DriverSubscription } from '../../spi/kit/subscription-set';
import type { JetStreamSettings, Nats } from './jetstream-connection';
import { consumerConfigFor } from './jetstream-consumer.config';

export interface JetStreamSubscriptionOptions {
  nats: Nats;
  js: JetStreamClient;
  jsm: JetStreamManager;
  settings: JetStreamSettings;
  topic: string;
  /** The stream that holds the topic. */
  stream: string;
  handler: PubSubHandler;
  logger: Logger;
}

/**
 * One subscription as Dapr's component runs it: add (or update) the push
 * consumer on the stream, bind a subscription to it (a queue subscription
 * when the consumer has a deliver group), hand every message to the handler
 * and settle it from the outcome — ack on success or drop, a negative ack
 * (delayed by ackWait when set) on retry. `concurrency: single` handles one
 * message at a time in stream order; `parallel` handles each as it arrives.
 * Nothing is acked before its handler finished, so a crash or a broker
 * restart redelivers whatever was not done (at-least-once).
 */
export class JetStreamTopicSubscription implements DriverSubscription {
  private sub?: JetStreamSubscription;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping?: Promise<void>;

  constructor(private readonly o: JetStreamSubscriptionOptions) {}

  async start(): Promise<void> {
    const { nats, js, topic } = this.o;
    const stream = this.o.stream;
    const info = await this.addConsumer(stream);
    const opts = nats.consumerOpts();
    opts.bind(stream, info.name);
    opts.manualAck();
    if (info.config.deliver_group) opts.queue(info.config.deliver_group);
    this.sub = await js.subscribe(topic, opts);
    this.loop = this.run(this.sub);
  }

  /**
   * Adds the consumer as Dapr does, with one difference: a durable consumer
   * that exists keeps its deliver subject. Dapr asks for a fresh inbox each
   * time, which the server refuses while another instance is bound ("consumer
   * name already in use") or, where it allows the update, takes from the
   * instances already bound; reusing the subject lets the instances of a
   * queue group share the consumer. Two instances creating it at once: the
   * loser reads the winner's subject and retries.
   */
  private async addConsumer(stream: string): Promise<ConsumerInfo> {
    const { nats, jsm, settings, topic } = this.o;
    for (let attempt = 0; ; attempt++) {
      let deliverSubject = nats.createInbox();
      if (settings.durableName) {
        const existing = await jsm.consumers.info(stream, settings.durableName).catch((err: { code?: string }) => {
          if (err?.code === '404') return undefined;
          throw err;
        });
        if (existing?.config.deliver_subject) deliverSubject = existing.config.deliver_subject;
      }
      try {
        return await jsm.consumers.add(stream, consumerConfigFor(settings, topic, deliverSubject));
      } catch (err) {
        if (!settings.durableName || attempt >= 2 || !/already in use|already exists/i.test((err as Error).message)) throw err;
      }
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sub?.unsubscribe();
      await this.loop;
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.stopping;
  }

  private async run(sub: JetStreamSubscription): Promise<void> {
    const parallel = this.o.settings.concurrency === 'parallel';
    try {
      for await (const m of sub) {
        if (parallel) {
          const p = this.handle(m).finally(() => this.inFlight.delete(p));
          this.inFlight.add(p);
        } else {
          await this.handle(m);
        }
      }
    } catch (err) {
      this.o.logger.error(`nats: subscription to "${this.o.topic}" ended: ${(err as Error).message}`);
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    let seq: number;
    try {
      // Heartbeats and other status messages carry no JetStream metadata: Dapr skips them too.
      seq = m.info.streamSequence;
    } catch {
      return;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.o.handler({
        topic: this.o.topic,
        data: m.data,
        // Dapr delivers the subject as its only metadata.
        metadata: { Topic: m.subject },
        id: `${m.subject}/${seq}`,
      });
    } catch (err) {
      this.o.logger.error(`Error processing JetStream message ${m.subject}/${seq}: ${(err as Error)?.message ?? err}`);
      outcome = 'RETRY';
    }
    this.settle(m, outcome);
  }

  private settle(m: JsMsg, outcome: DeliveryOutcome): void {
    const { ackPolicy, ackWait } = this.o.settings;
    if (ackPolicy === 'none') return;
    if (outcome === 'RETRY') {
      // Dapr: a failed message is negatively acknowledged, redelivered after ackWait when set.
      if (ackWait) m.nak(ackWait);
      else m.nak();
    } else {
      m.ack();
    }
  }
}
