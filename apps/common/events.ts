/** Event payloads exchanged by the sample apps (the wire contract between order and checkout). */
export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface OrderCreatedEvent {
  orderId: string;
  customer: string;
  items: OrderLine[];
}

export interface OrderPaidEvent {
  orderId: string;
  total: number;
}

export interface OrderRejectedEvent {
  orderId: string;
  reason: string;
}

export type CheckoutOutcome = ({ status: 'paid' } & OrderPaidEvent) | ({ status: 'rejected' } & OrderRejectedEvent);

export interface StockLevel {
  sku: string;
  available: number;
  price: number;
}
