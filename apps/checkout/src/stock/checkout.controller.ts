import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { CheckoutOutcome, StockLevel } from '../../../common/events';
import { DeadLettersService, type DeadLetter } from './dead-letters.service';
import { OrderCreatedDto } from './order-created.dto';
import { StockService } from './stock.service';

/** Routes other apps invoke (`checkout` app id): a synchronous checkout and stock lookups. */
@Controller()
export class CheckoutController {
  constructor(
    private readonly stock: StockService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  @Post('checkout')
  @HttpCode(200)
  checkout(@Body() order: OrderCreatedDto): Promise<CheckoutOutcome> {
    return this.stock.checkout(order);
  }

  @Get('stock/:sku')
  level(@Param('sku') sku: string): Promise<StockLevel> {
    return this.stock.stock(sku);
  }

  @Get('dead-letters')
  list(): Promise<DeadLetter[]> {
    return this.deadLetters.list();
  }
}
