import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { DaprModule } from 'nest-dapr';
import { daprOptionsFor } from '../../common/profile';
import { CheckoutController } from './stock/checkout.controller';
import { DeadLettersService } from './stock/dead-letters.service';
import { OrderCreatedHandler } from './stock/order-created.handler';
import { StockService } from './stock/stock.service';

@Module({
  imports: [
    DaprModule.forRootAsync({
      useFactory: () => daprOptionsFor('checkout'),
    }),
  ],
  controllers: [CheckoutController],
  providers: [
    StockService,
    DeadLettersService,
    OrderCreatedHandler,
    { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, transform: true }) },
  ],
})
export class AppModule {}
