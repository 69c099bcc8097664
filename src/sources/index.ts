import { categoryTranslation } from './category_translation.ts';
import { customers } from './customers.ts';
import { geolocation } from './geolocation.ts';
import { orderItems } from './order_items.ts';
import { orderPayments } from './order_payments.ts';
import { orderReviews } from './order_reviews.ts';
import { orders } from './orders.ts';
import { products } from './products.ts';
import { sellers } from './sellers.ts';
import type { SourceSpec } from './types.ts';

export * from './types.ts';
export { ORDER_STATUSES } from './orders.ts';

/** Every Kaggle file, largest first so the long load starts early when files load in parallel. */
export const SOURCES: readonly SourceSpec[] = [
  geolocation, orders, orderItems, orderReviews, customers, orderPayments, products, sellers, categoryTranslation,
];

export function sourceByName(name: string): SourceSpec {
  const spec = SOURCES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown source '${name}'`);
  return spec;
}
