import { Injectable } from '@nestjs/common';
import { Subscribe } from 'nest-dapr';
import type { OrderPaidEvent, OrderRejectedEvent } from '../../../common/events';
import { PUBSUB, TOPIC_ORDER_PAID, TOPIC_ORDER_REJECTED } from '../../../common/topics';
import { OrdersService } from './orders.service';

/** Records checkout's verdicts on the orders. A throw here is retried by the pub/sub block. */
@Injectable()
export class OrderEventsHandler {
  constructor(private readonly orders: OrdersService) {}

  @Subscribe({ pubsub: PUBSUB, topic: TOPIC_ORDER_PAID })
  async onPaid(event: OrderPaidEvent): Promise<void> {
    await this.orders.settle(event, 'paid');
  }

  @Subscribe({ pubsub: PUBSUB, topic: TOPIC_ORDER_REJECTED })
  async onRejected(event: OrderRejectedEvent): Promise<void> {
    await this.orders.settle(event, 'rejected');
  }
}
