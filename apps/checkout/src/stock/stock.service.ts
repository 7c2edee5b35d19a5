import { Injectable, Logger, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { ETagMismatchError, PubSubService, StateStore, type StateOperation } from 'nest-dapr';
import type { CheckoutOutcome, OrderCreatedEvent, StockLevel } from '../../../common/events';
import { withETagRetry } from '../../../common/etag-retry';
import { PUBSUB, STOCK_STORE, TOPIC_ORDER_PAID, TOPIC_ORDER_REJECTED } from '../../../common/topics';
import { catalogFromEnv } from './catalog';

/** Keys in the stock store: one per SKU, one per order checked out (the idempotency record). */
const stockKey = (sku: string) => `sku:${sku}`;
const outcomeKey = (orderId: string) => `checkout:${orderId}`;

@Injectable()
export class StockService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Checkout');

  constructor(
    @StateStore(STOCK_STORE) private readonly store: StateStore<unknown>,
    private readonly pubsub: PubSubService,
  ) {}

  /** Seeds the catalog; first-write, so a restart (or a second instance) never resets stock. */
  async onApplicationBootstrap(): Promise<void> {
    for (const level of catalogFromEnv()) {
      try {
        await this.store.save(stockKey(level.sku), level, { options: { concurrency: 'first-write' } });
      } catch (err) {
        if (!(err instanceof ETagMismatchError)) throw err;
      }
    }
  }

  async stock(sku: string): Promise<StockLevel> {
    const level = (await this.store.get(stockKey(sku))) as StockLevel | undefined;
    if (!level) throw new NotFoundException(`unknown sku "${sku}"`);
    return level;
  }

  /**
   * Reserves every line of the order or none: reads each SKU with its ETag and
   * writes all of them plus the order's outcome in one transaction guarded by
   * those ETags, so concurrent checkouts never oversell; on a conflict it
   * reads again. Idempotent per order: a redelivered event gets the recorded
   * outcome again. Publishes `order.paid` or `order.rejected`.
   */
  async checkout(order: OrderCreatedEvent): Promise<CheckoutOutcome> {
    const outcome = await withETagRetry(() => this.reserve(order), 50);
    if (outcome.status === 'paid') {
      await this.pubsub.publish(PUBSUB, TOPIC_ORDER_PAID, { orderId: outcome.orderId, total: outcome.total });
    } else {
      await this.pubsub.publish(PUBSUB, TOPIC_ORDER_REJECTED, { orderId: outcome.orderId, reason: outcome.reason });
    }
    this.logger.log(`order ${order.orderId}: ${outcome.status === 'paid' ? `paid ${outcome.total}` : `rejected (${outcome.reason})`}`);
    return outcome;
  }

  private async reserve(order: OrderCreatedEvent): Promise<CheckoutOutcome> {
    const done = await this.store.getItem(outcomeKey(order.orderId));
    if (done) return done.value as CheckoutOutcome;

    const quantities = new Map<string, number>();
    for (const line of order.items) quantities.set(line.sku, (quantities.get(line.sku) ?? 0) + line.quantity);

    const ops: StateOperation[] = [];
    let total = 0;
    let reason: string | undefined;
    for (const [sku, quantity] of quantities) {
      const item = await this.store.getItem(stockKey(sku));
      const level = item?.value as StockLevel | undefined;
      if (!item || !level) {
        reason = `unknown sku ${sku}`;
        break;
      }
      if (level.available < quantity) {
        reason = `out of stock: ${sku} (wanted ${quantity}, ${level.available} left)`;
        break;
      }
      total += level.price * quantity;
      ops.push({ operation: 'upsert', request: { key: stockKey(sku), value: { ...level, available: level.available - quantity }, etag: item.etag } });
    }
    const outcome: CheckoutOutcome =
      reason === undefined
        ? { status: 'paid', orderId: order.orderId, total: Math.round(total * 100) / 100 }
        : { status: 'rejected', orderId: order.orderId, reason };
    // Rejections reserve nothing; their record alone makes redeliveries answer the same.
    const record: StateOperation = {
      operation: 'upsert',
      request: { key: outcomeKey(order.orderId), value: outcome, options: { concurrency: 'first-write' } },
    };
    await this.store.transaction(reason === undefined ? [...ops, record] : [record]);
    return outcome;
  }
}
