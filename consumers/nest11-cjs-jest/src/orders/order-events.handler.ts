import { Injectable, UseGuards, UsePipes } from '@nestjs/common';
import { StateStore, Subscribe } from 'nest-dapr';
import type { CloudEvent } from 'nest-dapr';
import { KnownTenantGuard } from './known-tenant.guard';
import { OrderPlaced } from './order-placed.dto';
import { UpperCaseSkuPipe } from './upper-case-sku.pipe';

@Injectable()
export class OrderEvents {
  constructor(@StateStore('statestore') private readonly store: StateStore) {}

  @Subscribe({ pubsub: 'pubsub', topic: 'orders', deadLetterTopic: 'orders-dead' })
  @UseGuards(KnownTenantGuard)
  @UsePipes(UpperCaseSkuPipe)
  async onOrderPlaced(order: OrderPlaced, event: CloudEvent<OrderPlaced>): Promise<void> {
    await this.store.save(`audit-${order.orderId}`, { ...order, eventId: event.id, topic: event.topic });
  }

  @Subscribe({ pubsub: 'pubsub', topic: 'orders-dead' })
  async onDeadLetter(data: { orderId?: string }, event: CloudEvent): Promise<void> {
    await this.store.save(`dead-${data.orderId}`, { data, eventId: event.id });
  }
}
