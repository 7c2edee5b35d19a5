import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DaprExceptionFilter, DaprModule } from 'nest-dapr';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import { OrderEvents } from './orders/order-events.handler';
import { OrdersController } from './orders/orders.controller';

@Module({
  imports: [DaprModule.forRoot({ appId: 'orders', componentsPath: 'components' })],
  controllers: [AppController, OrdersController],
  providers: [AppService, OrderEvents, { provide: APP_FILTER, useClass: DaprExceptionFilter }],
})
export class AppModule {}
