import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:net';
import type { Connection, EventContext, Message, Receiver, Sender } from 'rhea';
import { PeerEntity, type PeerEntityOptions, type PeerEvent } from './peer-entity';

// rhea is CommonJS; require keeps its runtime object (container factory, message codec) intact.
const rhea: typeof import('rhea') = require('rhea');

/** rhea's outcome constructors, which its typings leave out. */
interface Outcome {
  described(): unknown;
}
const outcomes = rhea.message as unknown as {
  accepted(): Outcome;
  released(): Outcome;
  rejected(error: { condition?: string; description?: string }): Outcome;
};

/** Message format of a Service Bus batch: the body is one data section per encoded message. */
const BATCH_FORMAT = 0x80013700;
const CBS = '$cbs';
const MANAGEMENT = '$management';
const SUBSCRIPTIONS = '/subscriptions/';
const DEAD_LETTER = '/$deadletterqueue';

export interface ServiceBusTestPeerOptions {
  /**
   * What an address that names no declared entity becomes when a client
   * attaches to it: `'queue'` or `'topic'` creates it (like Dapr's entity
   * management would have), `false` (default) refuses the link with
   * `amqp:not-found` like the real service.
   */
  autoCreate?: 'queue' | 'topic' | false;
  /** Receiving from `<topic>/Subscriptions/<name>` creates the subscription when missing (default true). */
  autoCreateSubscriptions?: boolean;
  /** Settings for entities the peer creates by itself. */
  defaults?: PeerEntityOptions;
  /** Largest message (or batch) a sender link accepts; 256 KiB like the Standard tier. */
  maxMessageSizeInBytes?: number;
}

interface Topic {
  name: string;
  subscriptions: Map<string, PeerEntity>;
  options: PeerEntityOptions;
}

/**
 * An AMQP 1.0 *protocol double* of Azure Service Bus for tests, on rhea: it
 * speaks the subset the `@azure/service-bus` SDK uses for send, peek-lock
 * receive and settlement (see docs/servicebus-test-peer.md for exactly what
 * it covers and what it does not). It is not an emulator: no management
 * (ATOM over HTTPS), sessions, scheduling, rules, duplicate detection.
 */
export class ServiceBusTestPeer {
  readonly events: PeerEvent[] = [];
  /** `name` of every CBS put-token, in order (`sb://host:port/<entity>`). */
  readonly tokens: string[] = [];
  /** Messages as clients sent them, per target address (`orders`, `q1`...), before fan-out. */
  readonly sent: { target: string; message: Message; batched: boolean }[] = [];
  /** Number of batch transfers (format 0x80013700) received. */
  batchesReceived = 0;
  private readonly queues = new Map<string, PeerEntity>();
  private readonly topics = new Map<string, Topic>();
  private readonly senderEntity = new Map<Sender, PeerEntity>();
  private readonly connections = new Set<Connection>();
  private sequenceNumber = 0;
  private server?: Server;
  private port = 0;

  private readonly maxMessageSize: number;

  private constructor(private readonly options: ServiceBusTestPeerOptions) {
    this.maxMessageSize = options.maxMessageSizeInBytes ?? 256 * 1024;
  }

  /** Starts a peer on 127.0.0.1 and a free port chosen by the OS (never 5672). */
  static async start(options: ServiceBusTestPeerOptions = {}): Promise<ServiceBusTestPeer> {
    const peer = new ServiceBusTestPeer(options);
    await peer.listen();
    return peer;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  /** A connection string the real SDK accepts: plain TCP to this peer through `UseDevelopmentEmulator`. */
  get connectionString(): string {
    return `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true`;
  }

  createQueue(name: string, options: PeerEntityOptions = {}): PeerEntity {
    const key = name.toLowerCase();
    let q = this.queues.get(key);
    if (!q) {
      q = this.newEntity(name, { ...this.options.defaults, ...options });
      this.queues.set(key, q);
    }
    return q;
  }

  createTopic(name: string, options: PeerEntityOptions = {}): void {
    const key = name.toLowerCase();
    if (!this.topics.has(key)) {
      this.topics.set(key, { name, subscriptions: new Map(), options: { ...this.options.defaults, ...options } });
    }
  }

  /** Declares a subscription; messages published to the topic from now on are copied into it. */
  createSubscription(topic: string, name: string, options: PeerEntityOptions = {}): PeerEntity {
    this.createTopic(topic);
    const t = this.topics.get(topic.toLowerCase())!;
    let sub = t.subscriptions.get(name.toLowerCase());
    if (!sub) {
      sub = this.newEntity(`${t.name}/Subscriptions/${name}`, { ...t.options, ...options });
      t.subscriptions.set(name.toLowerCase(), sub);
    }
    return sub;
  }

  /** The queue, subscription (`topic/Subscriptions/sub`) or dead-letter queue (`.../$DeadLetterQueue`) at `path`. */
  entity(path: string): PeerEntity | undefined {
    return this.resolveReceive(path, false);
  }

  eventsOf(kind: PeerEvent['kind']): PeerEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }

  async close(): Promise<void> {
    for (const c of this.connections) {
      try {
        c.close();
      } catch {
        // already gone
      }
    }
    for (const q of this.queues.values()) q.dispose();
    for (const t of this.topics.values()) for (const s of t.subscriptions.values()) s.dispose();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const c of this.connections) (c as unknown as { socket?: { destroy(): void } }).socket?.destroy();
    this.connections.clear();
  }

  private newEntity(path: string, options: PeerEntityOptions): PeerEntity {
    return new PeerEntity(path, options, () => ++this.sequenceNumber, (e) => this.events.push(e));
  }

  private async listen(): Promise<void> {
    // Deliveries from clients are settled by the peer itself (accept, or reject when too large).
    const container = rhea.create_container({ id: 'servicebus-test-peer', autoaccept: false } as never);
    container.on('connection_open', (ctx: EventContext) => this.connections.add(ctx.connection));
    container.on('connection_close', (ctx: EventContext) => this.connections.delete(ctx.connection));
    container.on('disconnected', (ctx: EventContext) => {
      this.connections.delete(ctx.connection);
    });
    container.on('error', () => undefined);
    container.on('sender_open', (ctx: EventContext) => this.onReceiverAttach(ctx.sender!));
    container.on('receiver_open', (ctx: EventContext) => this.onSenderAttach(ctx.receiver!));
    container.on('sendable', (ctx: EventContext) => this.senderEntity.get(ctx.sender!)?.pump());
    container.on('sender_draining', (ctx: EventContext) => {
      const entity = this.senderEntity.get(ctx.sender!);
      if (entity) entity.drain(ctx.sender!);
      else ctx.sender!.set_drained(true);
    });
    container.on('sender_close', (ctx: EventContext) => this.onReceiverDetach(ctx.sender!));
    container.on('message', (ctx: EventContext) => this.onMessage(ctx));
    // Dispositions from receivers. rhea reports `modified` (abandon/defer) as `released` too.
    container.on('accepted', (ctx: EventContext) => this.onDisposition(ctx, 'accepted'));
    container.on('released', (ctx: EventContext) => this.onDisposition(ctx, 'released'));
    container.on('rejected', (ctx: EventContext) => this.onDisposition(ctx, 'rejected'));

    const server = container.listen({ port: 0, host: '127.0.0.1' }) as unknown as Server;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    this.port = (server.address() as AddressInfo).port;
  }

  /** The client attached a receiver: the peer's side is a sender delivering from an entity. */
  private onReceiverAttach(sender: Sender): void {
    const address = sender.source?.address ?? '';
    if (address === CBS || address.toLowerCase().endsWith(`/${MANAGEMENT}`)) return; // reply links
    const entity = this.resolveReceive(address, true);
    if (!entity) {
      sender.close({ condition: 'amqp:not-found', description: `The messaging entity '${address}' could not be found.` });
      return;
    }
    this.senderEntity.set(sender, entity);
    entity.attach(sender);
  }

  private onReceiverDetach(sender: Sender): void {
    const entity = this.senderEntity.get(sender);
    if (!entity) return;
    this.senderEntity.delete(sender);
    entity.detach(sender);
    entity.pump();
  }

  /** The client attached a sender: accept it only for an entity that exists (or may be created). */
  private onSenderAttach(receiver: Receiver): void {
    const address = receiver.target?.address ?? '';
    if (address === CBS || address.toLowerCase().endsWith(`/${MANAGEMENT}`)) return;
    if (!this.resolveSend(address)) {
      receiver.close({ condition: 'amqp:not-found', description: `The messaging entity '${address}' could not be found.` });
      return;
    }
    // The SDK sizes batches from the link's max-message-size, as on the real service.
    (receiver as unknown as { local: { attach: { max_message_size: number } } }).local.attach.max_message_size = this.maxMessageSize;
  }

  private onMessage(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const target = receiver.target?.address ?? '';
    const message = ctx.message as Message;
    const delivery = ctx.delivery!;
    if (target === CBS) {
      delivery.accept();
      this.tokens.push(String(message.application_properties?.name ?? ''));
      this.reply(ctx.connection, message, { 'status-code': 202, 'status-description': 'Accepted' });
      return;
    }
    if (target.toLowerCase().endsWith(`/${MANAGEMENT}`)) {
      delivery.accept();
      this.onManagement(ctx.connection, target.slice(0, -MANAGEMENT.length - 1), message);
      return;
    }
    const format = (ctx as unknown as { format?: number }).format ?? 0;
    const size = format === BATCH_FORMAT ? (message as unknown as Buffer).length : rhea.message.encode(message).length;
    if (size > this.maxMessageSize) {
      delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The received message (size: ${size} bytes) exceeds the limit (${this.maxMessageSize} bytes) currently allowed on the link.`,
      });
      return;
    }
    const messages = format === BATCH_FORMAT ? decodeBatch(message as unknown as Buffer) : [message];
    const route = this.resolveSend(target);
    if (!route) {
      delivery.reject({ condition: 'amqp:not-found', description: `The messaging entity '${target}' could not be found.` });
      return;
    }
    if (format === BATCH_FORMAT) this.batchesReceived++;
    for (const m of messages) {
      const stored = stripDeliveryFields(m);
      this.sent.push({ target, message: stored, batched: format === BATCH_FORMAT });
      for (const entity of route()) entity.enqueue(stored);
    }
    delivery.accept();
  }

  private onDisposition(ctx: EventContext, event: 'accepted' | 'released' | 'rejected'): void {
    const sender = ctx.sender!;
    const delivery = ctx.delivery!;
    const entity = this.senderEntity.get(sender);
    if (!entity) return;
    const state = delivery.remote_state as { constructor: { composite_type?: string }; undeliverable_here?: boolean; error?: { condition?: string; info?: Record<string, string> } } | undefined;
    const kind = state?.constructor?.composite_type ?? event;
    let known: boolean;
    if (kind === 'accepted') known = entity.settle(delivery.tag as Buffer, 'complete');
    else if (kind === 'modified' && state?.undeliverable_here) known = entity.settle(delivery.tag as Buffer, 'defer');
    else if (kind === 'released' || kind === 'modified') known = entity.settle(delivery.tag as Buffer, 'abandon');
    else {
      // `com.microsoft:dead-letter` carries the reason; a bare `rejected` dead-letters too (like the service).
      const info = state?.error?.info ?? {};
      known = entity.settle(delivery.tag as Buffer, 'deadletter', {
        reason: info.DeadLetterReason,
        description: info.DeadLetterErrorDescription,
      });
    }
    if (known) {
      // Echo the outcome without an error: an error in the settled state makes the SDK reject the settle.
      const outcome = kind === 'accepted' ? outcomes.accepted() : kind === 'rejected' ? outcomes.rejected({}) : outcomes.released();
      delivery.update(true, outcome.described());
    } else {
      const lost = outcomes.rejected({
        condition: 'com.microsoft:message-lock-lost',
        description: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
      });
      delivery.update(true, lost.described());
    }
    // With rcv-settle-mode "second" the receiver never settles after the sender
    // does; rhea frees a session slot only when both sides settled, so without
    // this the session's 2048-delivery buffer fills and delivery stalls.
    (delivery as unknown as { remote_settled: boolean }).remote_settled = true;
  }

  /** `<entity>/$management` requests: only `com.microsoft:renew-lock` is implemented. */
  private onManagement(connection: Connection, entityPath: string, request: Message): void {
    const operation = String(request.application_properties?.operation ?? '');
    if (operation === 'com.microsoft:renew-lock') {
      const entity = this.resolveReceive(entityPath, false);
      const tokens = ((request.body as Record<string, unknown>)?.['lock-tokens'] ?? []) as Buffer[];
      const expirations: Date[] = [];
      for (const token of tokens) {
        const until = entity?.renewLock(guidToDeliveryTag(Buffer.from(token)));
        if (!until) {
          this.reply(connection, request, { statusCode: 410, statusDescription: 'The lock supplied is invalid.', errorCondition: 'com.microsoft:message-lock-lost' });
          return;
        }
        expirations.push(until);
      }
      this.reply(connection, request, { statusCode: 200 }, { expirations });
      return;
    }
    this.reply(connection, request, {
      statusCode: 501,
      statusDescription: `operation ${operation} is not implemented by the Service Bus test peer`,
      errorCondition: 'amqp:not-implemented',
    });
  }

  private reply(connection: Connection, request: Message, properties: Record<string, unknown>, body?: unknown): void {
    const replyTo = request.reply_to;
    const link = connection.find_sender((l: Sender) => l.name === replyTo || l.target?.address === replyTo);
    link?.send({ correlation_id: request.message_id, to: replyTo, application_properties: properties, body });
  }

  /** Where a message sent to `address` goes, or undefined when the entity does not exist. */
  private resolveSend(address: string): (() => PeerEntity[]) | undefined {
    const key = address.toLowerCase();
    if (this.queues.has(key)) {
      const q = this.queues.get(key)!;
      return () => [q];
    }
    if (!this.topics.has(key)) {
      if (key.includes('/')) return undefined;
      if (this.options.autoCreate === 'queue') this.createQueue(address);
      else if (this.options.autoCreate === 'topic') this.createTopic(address);
      else return undefined;
      return this.resolveSend(address);
    }
    const topic = this.topics.get(key)!;
    // Fan-out: every subscription gets its own copy; a topic without subscriptions drops the message.
    return () => [...topic.subscriptions.values()];
  }

  private resolveReceive(address: string, mayCreate: boolean): PeerEntity | undefined {
    let key = address.toLowerCase();
    const deadLetter = key.endsWith(DEAD_LETTER);
    if (deadLetter) key = key.slice(0, -DEAD_LETTER.length);
    let entity: PeerEntity | undefined;
    const at = key.indexOf(SUBSCRIPTIONS);
    if (at >= 0) {
      const topicKey = key.slice(0, at);
      const subName = address.slice(at + SUBSCRIPTIONS.length, address.length - (deadLetter ? DEAD_LETTER.length : 0));
      if (!this.topics.has(topicKey) && mayCreate && this.options.autoCreate === 'topic') this.createTopic(address.slice(0, at));
      const topic = this.topics.get(topicKey);
      if (!topic) return undefined;
      entity = topic.subscriptions.get(subName.toLowerCase());
      if (!entity && mayCreate && this.options.autoCreateSubscriptions !== false) {
        entity = this.createSubscription(topic.name, subName);
      }
    } else {
      entity = this.queues.get(key);
      if (!entity && mayCreate && this.options.autoCreate === 'queue' && !key.includes('/')) {
        entity = this.createQueue(address.slice(0, address.length - (deadLetter ? DEAD_LETTER.length : 0)));
      }
    }
    return deadLetter ? entity?.deadLetterQueue : entity;
  }
}

/**
 * Lock tokens travel as AMQP uuids (RFC 4122 byte order) on $management, but
 * the delivery tag holds the same GUID in .NET byte order (first three groups
 * little-endian) — the SDK converts between them, so the peer must too.
 */
function guidToDeliveryTag(uuid: Buffer): Buffer {
  const t = Buffer.from(uuid);
  t.writeUInt32LE(uuid.readUInt32BE(0), 0);
  t.writeUInt16LE(uuid.readUInt16BE(4), 4);
  t.writeUInt16LE(uuid.readUInt16BE(6), 6);
  return t;
}

/** A batch body is one data section per message, each an encoded AMQP message. */
function decodeBatch(raw: Buffer): Message[] {
  const outer = rhea.message.decode(raw) as unknown as { body: { multiple?: boolean; content: Buffer | Buffer[] } };
  const parts = outer.body.multiple ? (outer.body.content as Buffer[]) : [outer.body.content as Buffer];
  return parts.map((p) => rhea.message.decode(p) as unknown as Message);
}

/** Drops the transfer-specific header fields; the peer sets its own on each delivery. */
function stripDeliveryFields(m: Message): Message {
  const copy = { ...m };
  // The service gives every message an id; the SDK's lock renewer keys on it.
  if (copy.message_id === undefined || copy.message_id === null) copy.message_id = randomUUID().replace(/-/g, '');
  delete copy.delivery_count;
  delete copy.first_acquirer;
  return copy;
}
