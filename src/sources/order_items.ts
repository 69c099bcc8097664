import type { SourceSpec } from './types.ts';

export const orderItems: SourceSpec = {
  name: 'order_items',
  fileName: 'olist_order_items_dataset.csv',
  description: 'One row per item of an order; an order with two units of a product has two rows.',
  columns: [
    { name: 'order_id', type: 'id', description: 'Order the item belongs to.' },
    { name: 'order_item_id', type: 'integer', range: { min: 1, max: 1000 }, description: 'Sequence of the item within its order, from 1.' },
    { name: 'product_id', type: 'id', description: 'Product sold.' },
    { name: 'seller_id', type: 'id', description: 'Seller who fulfils the item.' },
    { name: 'shipping_limit_date', type: 'timestamp', description: 'Deadline for the seller to hand the item to the carrier.' },
    { name: 'price', type: 'money', range: { min: 0 }, description: 'Item price in BRL.' },
    { name: 'freight_value', type: 'money', range: { min: 0 }, description: 'Freight charged for the item in BRL (split across items of an order).' },
  ],
  primaryKey: ['order_id', 'order_item_id'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes' },
  foreignKeys: [
    { columns: ['order_id'], references: 'orders', referencedColumns: ['order_id'], enforcedInSource: true },
    { columns: ['product_id'], references: 'products', referencedColumns: ['product_id'], enforcedInSource: true },
    { columns: ['seller_id'], references: 'sellers', referencedColumns: ['seller_id'], enforcedInSource: true },
  ],
};
