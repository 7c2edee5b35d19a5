import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { CreateOrderDto } from './create-order.dto';
import type { Order } from './order.model';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  create(@Body() dto: CreateOrderDto): Promise<Order> {
    return this.orders.create(dto);
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Order> {
    return this.orders.get(id);
  }

  /** Checks the order out synchronously through service invocation instead of waiting for the event. */
  @Post(':id/checkout')
  @HttpCode(200)
  async checkout(@Param('id', ParseUUIDPipe) id: string): Promise<Order | undefined> {
    return this.orders.checkoutNow(id);
  }
}
