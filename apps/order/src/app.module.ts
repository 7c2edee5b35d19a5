import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { DaprModule } from 'nest-dapr';
import { daprOptionsFor } from '../../common/profile';
import { CheckoutClient } from './orders/checkout.client';
import { OrderEventsHandler } from './orders/order-events.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

@Module({
  imports: [
    // Async so that a bad DAPR_PROFILE is a start-up error, not an import-time crash.
    DaprModule.forRootAsync({
      useFactory: () => daprOptionsFor('order'),
    }),
  ],
  controllers: [OrdersController],
  providers: [
    OrdersService,
    CheckoutClient,
    OrderEventsHandler,
    // Invalid bodies get 400 with class-validator's messages (also under DaprTestingModule).
    { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }) },
  ],
})
export class AppModule {}
