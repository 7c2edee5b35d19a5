import type { PubSubDriver, PubSubHandler, PubSubMessage, PublishRequest } from '../spi/pubsub.spi';
import type { CloudEvent } from '../pubsub/pubsub.interfaces';

/** One message as it reached the (in-memory) broker: a CloudEvent, or the raw payload when `rawPayload` was set. */
export interface PublishedMessage<T = unknown> {
  pubsub: string;
  topic: string;
  /** The event's `data` (the raw payload for rawPayload publishes). */
  data: T;
  /** The whole CloudEvent; undefined for raw payloads. */
  event?: CloudEvent<T>;
  metadata: Record<string, string>;
  contentType?: string;
}

/**
 * Watches the in-memory pub/sub twins: records every message a driver is
 * asked to publish (app publishes, test publishes, dead-letter forwards) and
 * counts deliveries in flight or waiting for redelivery, which is what
 * `settle()` waits on.
 */
export class PubSubRecorder {
  readonly messages: PublishedMessage[] = [];
  private inFlight = 0;
  private readonly inFlightTopics = new Map<string, number>();
  /** Messages whose last delivery ended in RETRY/throw: the broker will hand them out again. */
  private readonly retrying = new Set<PubSubMessage>();
  /** Bumped on every publish and delivery: a settle pass that sees it move is not quiet. */
  private activity = 0;

  /** Wraps one driver's publish and subscribe in place; the block keeps using the same object. */
  watch(pubsub: string, driver: PubSubDriver): void {
    const publish = driver.publish.bind(driver);
    driver.publish = async (req: PublishRequest) => {
      this.activity++;
      this.messages.push(toPublished(pubsub, req));
      await publish(req);
    };
    if (driver.bulkPublish) {
      const bulk = driver.bulkPublish.bind(driver);
      driver.bulkPublish = async (req) => {
        this.activity++;
        for (const e of req.entries) {
          this.messages.push(toPublished(pubsub, { topic: req.topic, data: e.event, metadata: { ...req.metadata, ...e.metadata }, contentType: e.contentType }));
        }
        return bulk(req);
      };
    }
    const subscribe = driver.subscribe.bind(driver);
    driver.subscribe = (req, handler) => subscribe(req, this.track(handler));
  }

  private track(handler: PubSubHandler): PubSubHandler {
    return async (msg) => {
      this.activity++;
      this.inFlight++;
      this.inFlightTopics.set(msg.topic, (this.inFlightTopics.get(msg.topic) ?? 0) + 1);
      this.retrying.delete(msg);
      try {
        const outcome = await handler(msg);
        if (outcome === 'RETRY') this.retrying.add(msg);
        return outcome;
      } catch (err) {
        this.retrying.add(msg);
        throw err;
      } finally {
        this.inFlight--;
        const left = (this.inFlightTopics.get(msg.topic) ?? 1) - 1;
        if (left > 0) this.inFlightTopics.set(msg.topic, left);
        else this.inFlightTopics.delete(msg.topic);
        this.activity++;
      }
    };
  }

  /** True when nothing is being handled or waiting to be redelivered. */
  get idle(): boolean {
    return this.inFlight === 0 && this.retrying.size === 0;
  }

  get activityMark(): number {
    return this.activity;
  }

  describeBusy(): string {
    const topics = [...this.inFlightTopics.keys(), ...[...this.retrying].map((m) => m.topic)];
    return `${this.inFlight} deliveries in flight, ${this.retrying.size} waiting for redelivery${topics.length ? ` (topics: ${[...new Set(topics)].join(', ')})` : ''}`;
  }
}

function toPublished(pubsub: string, req: PublishRequest): PublishedMessage {
  const text = Buffer.from(req.data).toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: a raw text payload
  }
  const isCloudEvent = req.metadata.rawPayload !== 'true' && typeof parsed === 'object' && parsed !== null && 'specversion' in parsed;
  if (isCloudEvent) {
    const event = parsed as CloudEvent;
    let data: unknown = event.data;
    if (data === undefined && typeof event.data_base64 === 'string') data = Buffer.from(event.data_base64, 'base64');
    return { pubsub, topic: req.topic, data, event, metadata: req.metadata, contentType: req.contentType };
  }
  return { pubsub, topic: req.topic, data: parsed, metadata: req.metadata, contentType: req.contentType };
}
