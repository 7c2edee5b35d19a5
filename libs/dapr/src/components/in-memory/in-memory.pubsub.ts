import { decodeMetadata } from '../../spi/kit/metadata';
import { IN_MEMORY_PUBSUB_METADATA } from './in-memory.metadata';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  DeliveryOutcome,
  PubSubDriver,
  PubSubFeature,
  PubSubHandler,
  PubSubMessage,
  PublishRequest,
  SubscribeRequest,
  SubscriptionHandle,
} from '../../spi/pubsub.spi';

const DEFAULT_REDELIVER_MS = 1000;

interface Consumer {
  handler: PubSubHandler;
  active: boolean;
}

/** One consumer group of one topic: competing consumers, round-robin. */
class Group {
  readonly consumers: Consumer[] = [];
  /** Messages waiting for a consumer (none subscribed right now, or redeliveries). */
  readonly queue: PubSubMessage[] = [];
  private next = 0;
  private scheduled = false;

  constructor(private readonly bus: Bus) {}

  enqueue(msg: PubSubMessage): void {
    this.queue.push(msg);
    if (!this.scheduled && this.consumers.length) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Hands every queued message to a consumer; a message that comes back RETRY is queued again later. */
  readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    while (queue.length && this.consumers.length) {
      const msg = queue.shift()!;
      const consumer = this.consumers[this.next++ % this.consumers.length];
      consumer.handler(msg).then(
        (outcome: DeliveryOutcome) => {
          if (outcome === 'RETRY') this.bus.later(() => this.enqueue(msg));
        },
        () => this.bus.later(() => this.enqueue(msg)),
      );
    }
  };

  remove(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
  }
}

/** Topics → consumer groups. Private to one component unless `busName` shares it in-process. */
class Bus {
  readonly topics = new Map<string, Map<string, Group>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  redeliverMs = DEFAULT_REDELIVER_MS;
  users = 0;

  nextId(): string {
    return String(++this.seq);
  }

  group(topic: string, consumerID: string): Group {
    let groups = this.topics.get(topic);
    if (!groups) this.topics.set(topic, (groups = new Map()));
    let g = groups.get(consumerID);
    if (!g) groups.set(consumerID, (g = new Group(this)));
    return g;
  }

  later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.redeliverMs);
    this.timers.add(t);
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

const sharedBuses = new Map<string, Bus>();

/**
 * `pubsub.in-memory`: an in-process event bus. Unlike Dapr's, it has consumer
 * groups (`consumerID`; instances of one app compete, different apps each get
 * every event) and redelivers a message the block returns as RETRY after
 * `redeliverInterval` (default 1s). Components with the same name (or the
 * same `busName`) in one process share a bus while any of them is open;
 * `shared: "false"` gives a private bus. Nothing is persisted:
 * messages published before any group subscribed are not kept, as in Dapr.
 */
export class InMemoryPubSub implements PubSubDriver {
  private bus!: Bus;
  private busName?: string;
  private readonly mine = new Set<{ group: Group; consumer: Consumer }>();

  async init(metadata: ComponentMetadata): Promise<void> {
    const m = decodeMetadata(IN_MEMORY_PUBSUB_METADATA, metadata);
    // Components of the same name share one bus while any of them is open, so
    // apps started in one process (tests, the embedded demo) talk to each
    // other; the bus goes away with its last user. `shared: "false"` keeps a
    // private bus, as a Dapr sidecar's in-memory component is.
    this.busName = m.busName || (m.shared ? `component:${metadata.name}` : undefined);
    const redeliverMs = m.redeliverInterval;
    if (this.busName) {
      this.bus = sharedBuses.get(this.busName) ?? new Bus();
      sharedBuses.set(this.busName, this.bus);
    } else {
      this.bus = new Bus();
    }
    this.bus.redeliverMs = redeliverMs;
    this.bus.users++;
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(req: PublishRequest): Promise<void> {
    const groups = this.bus.topics.get(req.topic);
    if (!groups || groups.size === 0) return;
    const msg: PubSubMessage = {
      topic: req.topic,
      data: req.data,
      metadata: req.metadata,
      contentType: req.contentType,
      id: this.bus.nextId(),
    };
    for (const g of groups.values()) g.enqueue(msg);
  }

  async subscribe(req: SubscribeRequest, handler: PubSubHandler): Promise<SubscriptionHandle> {
    const group = this.bus.group(req.topic, req.metadata.consumerID ?? '');
    const consumer: Consumer = { handler, active: true };
    group.consumers.push(consumer);
    const entry = { group, consumer };
    this.mine.add(entry);
    if (group.queue.length) setImmediate(group.flush);
    return {
      stop: async () => {
        consumer.active = false;
        group.remove(consumer);
        this.mine.delete(entry);
      },
    };
  }

  async close(): Promise<void> {
    for (const { group, consumer } of this.mine) group.remove(consumer);
    this.mine.clear();
    if (!this.bus) return;
    if (--this.bus.users <= 0) {
      this.bus.clearTimers();
      if (this.busName) sharedBuses.delete(this.busName);
    }
  }
}
