import type { JetStreamClient, JetStreamManager, NatsConnection, StreamConfig } from 'nats';
import { BrokerPubSub } from '../../spi/kit/broker-pubsub.base';
import type { ComponentMetadata } from '../../spi/component.spi';
import type { PubSubFeature, PubSubHandler, PublishRequest, SubscribeRequest, SubscriptionHandle } from '../../spi/pubsub.spi';
import { metadataError } from '../../spi/kit/metadata';
import {
  isValidStreamName,
  jetStreamOptions,
  openNatsConnection,
  parseJetStreamSettings,
  type JetStreamSettings,
  type Nats,
} from './jetstream-connection';
import { JetStreamTopicSubscription } from './jetstream.subscription';
import { subjectCovers } from './subject-match';

/** JetStream API error codes (server `errors.json`). */
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

/**
 * `pubsub.jetstream` on the nats client, as Dapr's component: publish puts the
 * message on the subject named after the topic with the CloudEvent id as
 * `Nats-Msg-Id` (the stream drops a duplicate within its window), and every
 * subscription is a push consumer filtered on its topic (see
 * JetStreamTopicSubscription). Dapr expects the stream to exist;
 * `autoCreateStream` (a nest-dapr extension) creates or extends it.
 */
export class JetStreamPubSub extends BrokerPubSub<JetStreamSettings> {
  private nats!: Nats;
  private nc?: NatsConnection;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private readonly streams = new Map<string, Promise<string>>();
  /** Durable consumer (stream/name) → the topic it filters, within this component. */
  private readonly durables = new Map<string, string>();

  protected decodeSettings(md: ComponentMetadata): JetStreamSettings {
    return parseJetStreamSettings(md);
  }

  protected async connect(): Promise<void> {
    const { nats, nc } = await openNatsConnection(this.md.type, this.settings);
    this.nats = nats;
    this.nc = nc;
    const opts = jetStreamOptions(this.settings);
    this.js = nc.jetstream(opts);
    // Fails init when the server has no JetStream (or the domain/prefix is wrong), as Dapr's nc.JetStream() would later.
    this.jsm = await nc.jetstreamManager(opts);
    void nc.closed().then((err) => {
      if (err) this.logger.error(`nats: connection closed: ${err.message}`);
    });
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async ping(): Promise<void> {
    await this.jsm.getAccountInfo();
  }

  async publish(req: PublishRequest): Promise<void> {
    this.assertOpen();
    if (this.settings.autoCreateStream) await this.streamFor(req.topic, this.settings);
    const msgID = cloudEventId(req.data);
    try {
      await this.js.publish(req.topic, req.data, msgID ? { msgID } : undefined);
    } catch (err) {
      throw this.publishError(req.topic, err);
    }
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    this.assertOpen();
    // nest-dapr: a subscription's metadata may override the component's (Dapr reads only the component's).
    const settings = parseJetStreamSettings(this.md, req.metadata);
    const stream = await this.streamFor(req.topic, settings);
    const release = this.claimDurable(stream, settings.durableName, req.topic);
    try {
      const sub = new JetStreamTopicSubscription({
        nats: this.nats,
        js: this.js,
        jsm: this.jsm,
        settings,
        topic: req.topic,
        stream,
        handler,
        logger: this.logger,
      });
      const handle = await this.subscriptions.start(sub);
      return {
        stop: async () => {
          await handle.stop();
          release();
        },
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  protected async disconnect(): Promise<void> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    // As Dapr's Close: drain, so acks of finished handlers reach the server.
    await nc.drain().catch(() => nc.close());
  }

  /**
   * A durable consumer has one filter subject: Dapr, given one durableName for
   * two topics, fails on the server ("filter subject can not be updated") or
   * silently moves the consumer. Refuse it with the way out instead.
   */
  private claimDurable(stream: string, durable: string | undefined, topic: string): () => void {
    if (!durable) return () => undefined;
    const key = `${stream}/${durable}`;
    const owner = this.durables.get(key);
    if (owner !== undefined && owner !== topic) {
      throw metadataError(
        this.md,
        'durableName',
        `"${durable}" already consumes topic "${owner}" of stream "${stream}"; a durable consumer filters one topic, so set durableName in the metadata of each subscription`,
      );
    }
    this.durables.set(key, topic);
    return () => {
      if (this.durables.get(key) === topic) this.durables.delete(key);
    };
  }

  /** The stream of a topic: streamName, else the stream whose subjects cover it; created or extended with autoCreateStream. */
  private streamFor(topic: string, s: JetStreamSettings): Promise<string> {
    const key = `${s.streamName ?? ''}\u0000${topic}\u0000${s.autoCreateStream}`;
    let pending = this.streams.get(key);
    if (!pending) {
      pending = s.autoCreateStream ? this.ensureStream(topic, s.streamName) : s.streamName ? Promise.resolve(s.streamName) : this.findStream(topic);
      pending.catch(() => this.streams.delete(key));
      this.streams.set(key, pending);
    }
    return pending;
  }

  private async findStream(topic: string): Promise<string> {
    try {
      return await this.jsm.streams.find(topic);
    } catch (err) {
      throw new Error(`pubsub "${this.md.name}": no stream covers subject "${topic}" (${(err as Error).message}); create one, set streamName or autoCreateStream`, {
        cause: err,
      });
    }
  }

  private async ensureStream(topic: string, streamName: string | undefined): Promise<string> {
    let name = streamName;
    if (!name) {
      const found = await this.jsm.streams.find(topic).catch(() => undefined);
      if (found) return found;
      name = topic.replace(/[\s.*>/\\]/g, '_');
      if (!isValidStreamName(name)) throw metadataError(this.md, 'streamName', `is needed: topic "${topic}" gives no stream name`);
    }
    // Several processes may extend one stream at once: re-read and retry until the topic is covered.
    for (let attempt = 0; attempt < 5; attempt++) {
      const info = await this.jsm.streams.info(name).catch((err) => {
        if (apiErrorCode(err) === STREAM_NOT_FOUND) return undefined;
        throw err;
      });
      if (!info) {
        try {
          await this.jsm.streams.add({ name, subjects: [topic] } as Partial<StreamConfig>);
          return name;
        } catch (err) {
          if (apiErrorCode(err) !== STREAM_NAME_IN_USE) throw err;
          continue;
        }
      }
      const subjects = info.config.subjects ?? [];
      if (subjects.some((pattern) => subjectCovers(pattern, topic))) return name;
      await this.jsm.streams.update(name, { ...info.config, subjects: [...subjects, topic] }).catch(() => undefined);
    }
    throw new Error(`pubsub "${this.md.name}": could not add subject "${topic}" to stream "${name}"`);
  }

  private publishError(topic: string, err: unknown): Error {
    const text = err instanceof Error ? err.message : String(err);
    const hint = /no responders|503/i.test(text) ? ' (no stream covers the subject?)' : '';
    return new Error(`pubsub "${this.md.name}": publish to "${topic}" failed: ${text}${hint}`, { cause: err });
  }
}

function apiErrorCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } })?.api_error?.err_code;
}

/**
 * The `id` of a JSON object payload, as Dapr's `pubsub.FromCloudEvent` reads
 * it for `Nats-Msg-Id` (a raw JSON payload with a string id counts too).
 */
export function cloudEventId(data: Uint8Array): string | undefined {
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
  if (data[i] !== 0x7b) return undefined;
  try {
    const id = (JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
