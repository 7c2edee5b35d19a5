import { Injectable, Logger } from '@nestjs/common';
import { Subscribe, type CloudEvent } from 'nest-dapr';
import { PUBSUB, TOPIC_ORDER_CREATED, TOPIC_ORDER_CREATED_DEAD } from '../../../common/topics';
import { DeadLettersService } from './dead-letters.service';
import { OrderCreatedDto } from './order-created.dto';
import { StockService } from './stock.service';

@Injectable()
export class OrderCreatedHandler {
  private readonly logger = new Logger('Checkout');

  constructor(
    private readonly stock: StockService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  /**
   * The parameter type is a class-validator DTO: an invalid event is moved to
   * the dead-letter topic at once (never retried). A throw (e.g. the store is
   * down) is retried under the resiliency policy, then dead-lettered.
   */
  @Subscribe({ pubsub: PUBSUB, topic: TOPIC_ORDER_CREATED, deadLetterTopic: TOPIC_ORDER_CREATED_DEAD })
  async onOrderCreated(order: OrderCreatedDto): Promise<void> {
    await this.stock.checkout(order);
  }

  @Subscribe({ pubsub: PUBSUB, topic: TOPIC_ORDER_CREATED_DEAD })
  async onDeadLetter(data: unknown, event: CloudEvent): Promise<void> {
    this.logger.warn(`dead letter ${event.id} on ${event.topic}: ${JSON.stringify(data)}`);
    await this.deadLetters.record({ id: event.id, type: event.type, topic: event.topic, data, receivedAt: new Date().toISOString() });
  }
}
