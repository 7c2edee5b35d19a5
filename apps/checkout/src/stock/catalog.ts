import type { StockLevel } from '../../../common/events';

/**
 * The stock checkout starts with when its store has none: a few SKUs, one of
 * them scarce so the demo shows an order running out of stock. Override with
 * env CHECKOUT_CATALOG (a JSON array of { sku, available, price }).
 */
export const DEFAULT_CATALOG: StockLevel[] = [
  { sku: 'coffee', available: 100, price: 4.5 },
  { sku: 'mug', available: 20, price: 12 },
  { sku: 'grinder', available: 1, price: 89 },
];

export function catalogFromEnv(env: NodeJS.ProcessEnv = process.env): StockLevel[] {
  return env.CHECKOUT_CATALOG ? (JSON.parse(env.CHECKOUT_CATALOG) as StockLevel[]) : DEFAULT_CATALOG;
}
