import type { SourceSpec } from './types.ts';

export const ORDER_STATUSES = [
  'delivered', 'shipped', 'canceled', 'unavailable', 'invoiced', 'processing', 'created', 'approved',
] as const;

export const orders: SourceSpec = {
  name: 'orders',
  fileName: 'olist_orders_dataset.csv',
  description: 'One row per order with its status and lifecycle timestamps.',
  columns: [
    { name: 'order_id', type: 'id', description: 'Order key.' },
    { name: 'customer_id', type: 'id', description: 'Order-level customer key (see customers).' },
    { name: 'order_status', type: 'text', values: ORDER_STATUSES, description: 'Lifecycle status at extraction time.' },
    { name: 'order_purchase_timestamp', type: 'timestamp', description: 'Purchase time (local, no zone): revenue is attributed to its day.' },
    { name: 'order_approved_at', type: 'timestamp', nullable: true, description: 'Payment approval time.' },
    { name: 'order_delivered_carrier_date', type: 'timestamp', nullable: true, description: 'Hand-over to the carrier.' },
    { name: 'order_delivered_customer_date', type: 'timestamp', nullable: true, description: 'Delivery to the customer.' },
    { name: 'order_estimated_delivery_date', type: 'timestamp', description: 'Delivery date promised at purchase.' },
  ],
  primaryKey: ['order_id'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes', progress: ['order_approved_at', 'order_delivered_carrier_date', 'order_delivered_customer_date'] },
  foreignKeys: [{ columns: ['customer_id'], references: 'customers', referencedColumns: ['customer_id'], enforcedInSource: true }],
  cleaningRules: [
    'Orders marked delivered without a delivery date stay in the order counts but are excluded from delivery-time metrics.',
    'Timestamps out of order (carrier before approval, delivery before purchase) are kept and flagged; durations are computed only when both ends exist.',
  ],
};
