import type { OrderLine } from '../../../common/events';

export type OrderStatus = 'pending' | 'paid' | 'rejected';

/** An order as the order app keeps it in its `orders` state store. */
export interface Order {
  id: string;
  customer: string;
  items: OrderLine[];
  status: OrderStatus;
  /** Price quoted by checkout when the order was placed. */
  quotedTotal: number;
  total?: number;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  history: { at: string; event: string }[];
}
