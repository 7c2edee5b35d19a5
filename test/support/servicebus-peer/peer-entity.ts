import { randomBytes } from 'node:crypto';
import type { Delivery, Message, Sender } from 'rhea';

/** Per-entity settings, mirroring the Service Bus properties the peer honours. */
export interface PeerEntityOptions {
  /** Deliveries before the broker dead-letters a message (Service Bus default 10). */
  maxDeliveryCount?: number;
  /** Peek-lock duration (Service Bus default 60 s). Short values exercise lock renewal and expiry. */
  lockDurationMs?: number;
}

/** One message as the entity stores it. */
export interface StoredMessage {
  /** The decoded AMQP message exactly as the client sent it (body sections kept as sections). */
  message: Message;
  sequenceNumber: number;
  enqueuedTime: Date;
  /** Failed delivery attempts so far: the AMQP header `delivery_count` of the next delivery. */
  deliveryCount: number;
  /** Absolute expiry from the header `ttl`, when the sender set one. */
  expiresAt?: number;
  /** Set when the message was dead-lettered; sent as application properties like Service Bus does. */
  deadLetter?: { reason?: string; description?: string; source: string };
}

interface Lock {
  stored: StoredMessage;
  sender: Sender;
  delivery: Delivery;
  lockedUntil: Date;
  timer: NodeJS.Timeout;
}

export type SettleOutcome = 'complete' | 'abandon' | 'deadletter' | 'defer' | 'lock-lost';

/** What the peer observed, for conformance assertions and debugging. */
export interface PeerEvent {
  entity: string;
  kind: 'enqueue' | 'deliver' | SettleOutcome | 'renew-lock' | 'lock-expired' | 'expired' | 'dead-lettered';
  sequenceNumber?: number;
  deliveryCount?: number;
  reason?: string;
}

const LOCK_TOKEN_BYTES = 16;

/**
 * A queue or a topic subscription: an ordered store with peek-lock semantics.
 * Messages are delivered to attached receiver links as credit allows; each
 * delivery carries a 16-byte delivery tag (the SDK's lock token) and the
 * `x-opt-*` annotations Service Bus sends. Abandon and lock expiry count a
 * failed attempt; reaching `maxDeliveryCount` moves the message to the
 * entity's `$DeadLetterQueue` with reason `MaxDeliveryCountExceeded`.
 */
export class PeerEntity {
  readonly maxDeliveryCount: number;
  readonly lockDurationMs: number;
  private readonly available: StoredMessage[] = [];
  private readonly locks = new Map<string, Lock>();
  private readonly receivers: Sender[] = [];
  private nextReceiver = 0;
  private pumping = false;
  /** `$DeadLetterQueue` of this entity; absent on a dead-letter queue itself. */
  readonly deadLetterQueue?: PeerEntity;

  constructor(
    readonly path: string,
    options: PeerEntityOptions,
    private readonly sequence: () => number,
    private readonly record: (e: PeerEvent) => void,
    isDeadLetterQueue = false,
  ) {
    this.maxDeliveryCount = options.maxDeliveryCount ?? 10;
    this.lockDurationMs = options.lockDurationMs ?? 60_000;
    if (!isDeadLetterQueue) {
      this.deadLetterQueue = new PeerEntity(`${path}/$DeadLetterQueue`, { lockDurationMs: this.lockDurationMs }, sequence, record, true);
    }
  }

  /** Messages waiting to be delivered (not locked). */
  get availableCount(): number {
    return this.available.length;
  }

  /** Messages currently locked by a receiver. */
  get lockedCount(): number {
    return this.locks.size;
  }

  enqueue(message: Message): void {
    const now = Date.now();
    const stored: StoredMessage = {
      message,
      sequenceNumber: this.sequence(),
      enqueuedTime: new Date(now),
      deliveryCount: 0,
      expiresAt: typeof message.ttl === 'number' && message.ttl > 0 ? now + message.ttl : undefined,
    };
    this.available.push(stored);
    this.record({ entity: this.path, kind: 'enqueue', sequenceNumber: stored.sequenceNumber });
    this.pump();
  }

  attach(sender: Sender): void {
    this.receivers.push(sender);
  }

  /**
   * A receiver link went away: Service Bus keeps its locks until they expire;
   * the peer releases them at once as a failed attempt (what the service does
   * when the lock runs out), which keeps tests fast.
   */
  detach(sender: Sender): void {
    const i = this.receivers.indexOf(sender);
    if (i >= 0) this.receivers.splice(i, 1);
    for (const [token, lock] of this.locks) {
      if (lock.sender === sender) this.failedAttempt(token, 'lock-expired');
    }
  }

  /** Delivers as many messages as the attached receivers have credit for. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.available.length > 0) {
        const sender = this.pickReceiver();
        if (!sender) break;
        const stored = this.available.shift()!;
        if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) {
          // Service Bus drops expired messages (no dead-lettering on expiration by default).
          this.record({ entity: this.path, kind: 'expired', sequenceNumber: stored.sequenceNumber });
          continue;
        }
        this.deliver(stored, sender);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A receiver asked to drain: deliver what is available, then give the rest of its credit back. */
  drain(sender: Sender): void {
    this.pump();
    sender.set_drained(true);
  }

  /** Settles a delivery from the client's disposition; returns false when the lock is unknown (lost). */
  settle(tag: Buffer, outcome: Exclude<SettleOutcome, 'lock-lost'>, deadLetter?: { reason?: string; description?: string }): boolean {
    const token = tag.toString('hex');
    const lock = this.locks.get(token);
    if (!lock) {
      this.record({ entity: this.path, kind: 'lock-lost' });
      return false;
    }
    if (outcome === 'complete' || outcome === 'defer') {
      // Deferral would need receive-by-sequence-number over $management; the peer just removes it.
      this.unlock(token);
      this.record({ entity: this.path, kind: outcome, sequenceNumber: lock.stored.sequenceNumber });
    } else if (outcome === 'abandon') {
      this.failedAttempt(token, 'abandon');
    } else {
      this.unlock(token);
      this.record({ entity: this.path, kind: 'deadletter', sequenceNumber: lock.stored.sequenceNumber, reason: deadLetter?.reason });
      this.moveToDeadLetter(lock.stored, deadLetter?.reason, deadLetter?.description);
    }
    this.pump();
    return true;
  }

  /** `com.microsoft:renew-lock`: returns the new expiry, or undefined when the lock is gone. */
  renewLock(token: Buffer): Date | undefined {
    const key = token.toString('hex');
    const lock = this.locks.get(key);
    if (!lock) return undefined;
    clearTimeout(lock.timer);
    lock.lockedUntil = new Date(Date.now() + this.lockDurationMs);
    lock.timer = this.lockTimer(key);
    this.record({ entity: this.path, kind: 'renew-lock', sequenceNumber: lock.stored.sequenceNumber });
    return lock.lockedUntil;
  }

  /** Drops every lock and timer (peer shutdown). */
  dispose(): void {
    for (const lock of this.locks.values()) clearTimeout(lock.timer);
    this.locks.clear();
    this.receivers.length = 0;
    this.deadLetterQueue?.dispose();
  }

  private pickReceiver(): Sender | undefined {
    // Round-robin over links with credit: competing consumers share the entity.
    for (let n = 0; n < this.receivers.length; n++) {
      const sender = this.receivers[(this.nextReceiver + n) % this.receivers.length];
      if (sender.is_open() && sender.sendable()) {
        this.nextReceiver = (this.nextReceiver + n + 1) % this.receivers.length;
        return sender;
      }
    }
    return undefined;
  }

  private deliver(stored: StoredMessage, sender: Sender): void {
    const tag = randomBytes(LOCK_TOKEN_BYTES);
    const token = tag.toString('hex');
    const lockedUntil = new Date(Date.now() + this.lockDurationMs);
    const annotations: Record<string, unknown> = {
      ...(stored.message.message_annotations ?? {}),
      'x-opt-locked-until': lockedUntil,
      'x-opt-sequence-number': stored.sequenceNumber,
      'x-opt-enqueued-time': stored.enqueuedTime,
    };
    const applicationProperties: Record<string, unknown> = { ...(stored.message.application_properties ?? {}) };
    if (stored.deadLetter) {
      applicationProperties.DeadLetterReason = stored.deadLetter.reason;
      applicationProperties.DeadLetterErrorDescription = stored.deadLetter.description;
      annotations['x-opt-deadletter-source'] = stored.deadLetter.source;
    }
    const delivery = sender.send(
      {
        ...stored.message,
        delivery_count: stored.deliveryCount,
        message_annotations: annotations,
        application_properties: applicationProperties,
      },
      tag,
    );
    this.locks.set(token, { stored, sender, delivery, lockedUntil, timer: this.lockTimer(token) });
    this.record({ entity: this.path, kind: 'deliver', sequenceNumber: stored.sequenceNumber, deliveryCount: stored.deliveryCount });
  }

  private lockTimer(token: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.failedAttempt(token, 'lock-expired');
      this.pump();
    }, this.lockDurationMs);
    timer.unref();
    return timer;
  }

  private unlock(token: string): Lock | undefined {
    const lock = this.locks.get(token);
    if (!lock) return undefined;
    clearTimeout(lock.timer);
    this.locks.delete(token);
    return lock;
  }

  /** Abandon or lock loss: one more failed attempt, then redelivery or the dead-letter queue. */
  private failedAttempt(token: string, kind: 'abandon' | 'lock-expired'): void {
    const lock = this.unlock(token);
    if (!lock) return;
    const stored = lock.stored;
    stored.deliveryCount++;
    this.record({ entity: this.path, kind, sequenceNumber: stored.sequenceNumber, deliveryCount: stored.deliveryCount });
    if (this.deadLetterQueue && stored.deliveryCount >= this.maxDeliveryCount) {
      this.moveToDeadLetter(
        stored,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`,
      );
      return;
    }
    // Back in sequence order, so an abandoned message is the next one delivered.
    const at = this.available.findIndex((m) => m.sequenceNumber > stored.sequenceNumber);
    if (at < 0) this.available.push(stored);
    else this.available.splice(at, 0, stored);
  }

  private moveToDeadLetter(stored: StoredMessage, reason: string | undefined, description: string | undefined): void {
    if (!this.deadLetterQueue) return; // a DLQ has no DLQ of its own: completing is the only way out
    this.record({ entity: this.path, kind: 'dead-lettered', sequenceNumber: stored.sequenceNumber, reason });
    this.deadLetterQueue.enqueueDeadLettered({
      ...stored,
      deadLetter: { reason, description, source: this.path },
    });
  }

  private enqueueDeadLettered(stored: StoredMessage): void {
    this.available.push({ ...stored, sequenceNumber: this.sequence(), deliveryCount: 0, expiresAt: undefined });
    this.pump();
  }
}
