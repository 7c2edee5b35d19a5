import { Injectable } from '@nestjs/common';
import { OnBinding } from 'nest-dapr';
import { REDRIVE_BINDING } from '../../../common/topics';
import { OrdersService } from './orders.service';

/** How long an order may stay pending before the cron re-publishes it (env ORDER_REDRIVE_AFTER_MS). */
export const REDRIVE_AFTER_MS = Number(process.env.ORDER_REDRIVE_AFTER_MS ?? 10_000);

/** The `order-redrive` cron binding: a lost `order.created` must not leave an order pending for ever. */
@Injectable()
export class OrderRedriveHandler {
  constructor(private readonly orders: OrdersService) {}

  @OnBinding(REDRIVE_BINDING)
  async onTick(): Promise<{ redriven: string[] }> {
    return { redriven: await this.orders.redrive(REDRIVE_AFTER_MS) };
  }
}
