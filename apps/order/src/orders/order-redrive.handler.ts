import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { LockService, OnBinding } from 'nest-dapr';
import { LOCK_STORE, REDRIVE_BINDING } from '../../../common/topics';
import { OrdersService } from './orders.service';

/** How long an order may stay pending before the cron re-publishes it (env ORDER_REDRIVE_AFTER_MS). */
export const REDRIVE_AFTER_MS = Number(process.env.ORDER_REDRIVE_AFTER_MS ?? 10_000);

/** The lock resource of the re-drive job, and how long a holder may keep it if it dies mid-run. */
export const REDRIVE_LOCK = 'order-redrive';
const REDRIVE_LOCK_EXPIRY_S = 30;

/**
 * The `order-redrive` cron binding: a lost `order.created` must not leave an
 * order pending for ever. The cron fires in every instance of the app; the
 * distributed lock lets one instance at a time re-drive, so two instances
 * never re-publish the same stuck order on the same tick. A fresh owner per
 * tick (as Dapr advises) and an expiry, so a crashed holder frees it.
 */
@Injectable()
export class OrderRedriveHandler {
  private readonly logger = new Logger('OrderRedrive');

  constructor(
    private readonly orders: OrdersService,
    private readonly lock: LockService,
  ) {}

  @OnBinding(REDRIVE_BINDING)
  async onTick(): Promise<{ redriven: string[]; skipped?: true }> {
    const owner = `${hostname()}-${process.pid}-${randomUUID()}`;
    const { success } = await this.lock.lock(LOCK_STORE, REDRIVE_LOCK, owner, REDRIVE_LOCK_EXPIRY_S);
    if (!success) return { redriven: [], skipped: true }; // another instance is on it
    try {
      return { redriven: await this.orders.redrive(REDRIVE_AFTER_MS) };
    } finally {
      const { status } = await this.lock.unlock(LOCK_STORE, REDRIVE_LOCK, owner);
      if (status !== 'SUCCESS') this.logger.warn(`re-drive lock: ${status} on release (the run outlasted the ${REDRIVE_LOCK_EXPIRY_S}s expiry?)`);
    }
  }
}
