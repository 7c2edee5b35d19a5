import { randomUUID } from 'node:crypto';
import { Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InvocationError, PubSubService, StateStore } from 'nest-dapr';
import type { CheckoutOutcome, OrderCreatedEvent, OrderPaidEvent, OrderRejectedEvent } from '../../../common/events';
import { withETagRetry } from '../../../common/etag-retry';
import { ORDERS_STORE, PUBSUB, TOPIC_ORDER_CREATED } from '../../../common/topics';
import { CheckoutClient } from './checkout.client';
import type { CreateOrderDto } from './create-order.dto';
import type { Order } from './order.model';

/** Key of the list of orders still waiting for checkout (read by the re-drive cron). */
export const PENDING_INDEX = 'pending-orders';

@Injectable()
export class OrdersService {
  private readonly logger = new Logger('Orders');

  constructor(
    @StateStore(ORDERS_STORE) private readonly orders: StateStore<Order>,
    @StateStore(ORDERS_STORE) private readonly index: StateStore<string[]>,
    private readonly pubsub: PubSubService,
    private readonly checkout: CheckoutClient,
  ) {}

  /** Quotes the order with checkout (invocation), stores it as pending, then announces it. */
  async create(dto: CreateOrderDto): Promise<Order> {
    const quotedTotal = await this.quote(dto);
    const now = new Date().toISOString();
    const order: Order = {
      id: randomUUID(),
      customer: dto.customer,
      items: dto.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
      status: 'pending',
      quotedTotal,
      createdAt: now,
      updatedAt: now,
      redrives: 0,
      history: [{ at: now, event: 'created' }],
    };
    // first-write: a fresh id must never overwrite anything.
    await this.orders.save(order.id, order, { options: { concurrency: 'first-write' } });
    await this.updateIndex((ids) => [...ids, order.id]);
    await this.publishCreated(order);
    this.logger.log(`order ${order.id} created for ${order.customer} (quoted ${quotedTotal})`);
    return order;
  }

  async get(id: string): Promise<Order> {
    const order = await this.orders.get(id);
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return order;
  }

  /** Records `order.paid` / `order.rejected`; repeats (at-least-once delivery) change nothing. */
  async settle(event: OrderPaidEvent | OrderRejectedEvent, status: 'paid' | 'rejected'): Promise<Order | undefined> {
    const updated = await withETagRetry(async () => {
      const item = await this.orders.getItem(event.orderId);
      if (!item) return undefined;
      const order = item.value;
      if (order.status !== 'pending') return order;
      const now = new Date().toISOString();
      const next: Order = {
        ...order,
        status,
        updatedAt: now,
        history: [...order.history, { at: now, event: `order.${status}` }],
      };
      if ('total' in event) next.total = event.total;
      if ('reason' in event) next.reason = event.reason;
      await this.orders.save(order.id, next, { etag: item.etag });
      return next;
    });
    if (!updated) {
      this.logger.warn(`order.${status} for unknown order ${event.orderId}: ignored`);
      return undefined;
    }
    await this.updateIndex((ids) => ids.filter((id) => id !== event.orderId));
    return updated;
  }

  /** Synchronous checkout through invocation (`POST /orders/:id/checkout`), recorded like the events. */
  async checkoutNow(id: string): Promise<Order | undefined> {
    const order = await this.get(id);
    if (order.status !== 'pending') return order;
    const outcome: CheckoutOutcome = await this.checkout.checkout(createdEvent(order));
    return this.settle(outcome, outcome.status);
  }

  /** Re-publishes `order.created` for orders pending longer than `olderThanMs`; returns their ids. */
  async redrive(olderThanMs: number): Promise<string[]> {
    const ids = (await this.index.get(PENDING_INDEX)) ?? [];
    const cutoff = Date.now() - olderThanMs;
    const redriven: string[] = [];
    for (const id of ids) {
      const item = await this.orders.getItem(id);
      if (!item || item.value.status !== 'pending' || Date.parse(item.value.updatedAt) > cutoff) continue;
      const now = new Date().toISOString();
      const order: Order = {
        ...item.value,
        redrives: item.value.redrives + 1,
        updatedAt: now,
        history: [...item.value.history, { at: now, event: 'redriven' }],
      };
      try {
        await this.orders.save(id, order, { etag: item.etag });
      } catch {
        continue; // it changed meanwhile (probably settled): look again on the next tick
      }
      await this.publishCreated(order);
      redriven.push(id);
    }
    if (redriven.length) this.logger.warn(`re-published order.created for ${redriven.length} stuck order(s): ${redriven.join(', ')}`);
    return redriven;
  }

  private async quote(dto: CreateOrderDto): Promise<number> {
    let total = 0;
    for (const line of dto.items) {
      try {
        const stock = await this.checkout.stock(line.sku);
        total += stock.price * line.quantity;
      } catch (err) {
        if (err instanceof InvocationError && err.status === 404) {
          throw new UnprocessableEntityException(`unknown sku "${line.sku}"`);
        }
        throw err;
      }
    }
    return Math.round(total * 100) / 100;
  }

  private publishCreated(order: Order): Promise<void> {
    return this.pubsub.publish(PUBSUB, TOPIC_ORDER_CREATED, createdEvent(order), {
      cloudEvent: { type: 'com.example.order.created', subject: order.id },
    });
  }

  private updateIndex(change: (ids: string[]) => string[]): Promise<void> {
    return withETagRetry(async () => {
      const item = await this.index.getItem(PENDING_INDEX);
      const next = change(item?.value ?? []);
      await this.index.save(PENDING_INDEX, next, item ? { etag: item.etag } : { options: { concurrency: 'first-write' } });
    });
  }
}

function createdEvent(order: Order): OrderCreatedEvent {
  return { orderId: order.id, customer: order.customer, items: order.items };
}
