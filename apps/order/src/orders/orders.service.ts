import { randomUUID } from 'node:crypto';
import { Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InvocationError, StateStore } from 'nest-dapr';
import type { CheckoutOutcome, OrderCreatedEvent, OrderPaidEvent, OrderRejectedEvent } from '../../../common/events';
import { withETagRetry } from '../../../common/etag-retry';
import { ORDERS_STORE } from '../../../common/topics';
import { CheckoutClient } from './checkout.client';
import type { CreateOrderDto } from './create-order.dto';
import type { Order } from './order.model';

@Injectable()
export class OrdersService {
  private readonly logger = new Logger('Orders');

  constructor(
    @StateStore(ORDERS_STORE) private readonly orders: StateStore<Order>,
    private readonly checkout: CheckoutClient,
  ) {}

  /**
   * Quotes the order with checkout (invocation), then stores it as pending and
   * announces it in one step: the `orders` store has Dapr's transactional
   * outbox (`outboxPublishTopic: order.created`), so the transaction's upsert
   * is published if and only if it commits. No crash can leave a stored order
   * unannounced, which is why there is no re-drive cron.
   */
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
      history: [{ at: now, event: 'created' }],
    };
    await this.orders.transaction([
      // The upsert's metadata becomes CloudEvent fields of the published event (Dapr's outbox).
      { operation: 'upsert', request: { key: order.id, value: order, metadata: { type: 'com.example.order.created', subject: order.id } } },
      // A projection: published instead of the stored order, never stored.
      {
        operation: 'upsert',
        request: { key: order.id, value: createdEvent(order), metadata: { contentType: 'application/json', 'outbox.projection': 'true' } },
      },
    ]);
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
    return updated;
  }

  /** Synchronous checkout through invocation (`POST /orders/:id/checkout`), recorded like the events. */
  async checkoutNow(id: string): Promise<Order | undefined> {
    const order = await this.get(id);
    if (order.status !== 'pending') return order;
    const outcome: CheckoutOutcome = await this.checkout.checkout(createdEvent(order));
    return this.settle(outcome, outcome.status);
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
}

function createdEvent(order: Order): OrderCreatedEvent {
  return { orderId: order.id, customer: order.customer, items: order.items };
}
