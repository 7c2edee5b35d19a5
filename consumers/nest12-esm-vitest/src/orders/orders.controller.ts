import { Body, Controller, Get, Headers, HttpCode, NotFoundException, Param, Post, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PubSubService, StateStore } from 'nest-dapr';

interface Order {
  quantity: number;
}

@Controller()
export class OrdersController {
  constructor(
    @StateStore('statestore') private readonly store: StateStore,
    private readonly pubsub: PubSubService,
  ) {}

  /** Optimistic concurrency over HTTP: the state ETag is the HTTP ETag; a stale If-Match is a 409 (DaprExceptionFilter). */
  @Put('orders/:id')
  async put(
    @Param('id') id: string,
    @Body() order: Order,
    @Headers('if-match') etag: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Order> {
    await this.store.save(`order-${id}`, order, { etag });
    const saved = await this.store.getItem(`order-${id}`);
    if (saved?.etag) res.setHeader('ETag', saved.etag);
    return saved?.value as Order;
  }

  @Get('orders/:id')
  async get(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<unknown> {
    const item = await this.store.getItem(`order-${id}`);
    if (!item) throw new NotFoundException();
    if (item.etag) res.setHeader('ETag', item.etag);
    return item.value;
  }

  @Post('orders/:id/events')
  @HttpCode(202)
  async place(@Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    await this.pubsub.publish('pubsub', 'orders', { ...body, orderId: id });
  }

  /** What the order handler recorded for an order. */
  @Get('audit/:id')
  audit(@Param('id') id: string): Promise<unknown> {
    return this.recorded(`audit-${id}`);
  }

  /** What the dead-letter handler recorded for an order. */
  @Get('dead/:id')
  dead(@Param('id') id: string): Promise<unknown> {
    return this.recorded(`dead-${id}`);
  }

  private async recorded(key: string): Promise<unknown> {
    const value = await this.store.get(key);
    if (value === undefined) throw new NotFoundException();
    return value;
  }
}
