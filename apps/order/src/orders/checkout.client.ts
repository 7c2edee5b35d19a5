import { InvokeBody, InvokeGet, InvokePost, InvokeService, PathParam, remoteCall } from 'nest-dapr';
import type { CheckoutOutcome, OrderCreatedEvent, StockLevel } from '../../../common/events';

/** The checkout app, called through service invocation (name resolution, resiliency, signed identity). */
@InvokeService('checkout')
export class CheckoutClient {
  @InvokeGet('stock/:sku')
  stock(@PathParam('sku') sku: string): Promise<StockLevel> {
    return remoteCall(sku);
  }

  @InvokePost('checkout')
  checkout(@InvokeBody() order: OrderCreatedEvent): Promise<CheckoutOutcome> {
    return remoteCall(order);
  }
}
