import type { SourceSpec } from './types.ts';

export const orderPayments: SourceSpec = {
  name: 'order_payments',
  fileName: 'olist_order_payments_dataset.csv',
  description: 'Payments of an order; an order paid with several methods (or vouchers) has several rows.',
  columns: [
    { name: 'order_id', type: 'id', description: 'Order paid.' },
    { name: 'payment_sequential', type: 'integer', range: { min: 1, max: 100 }, description: 'Sequence of the payment within the order.' },
    {
      name: 'payment_type',
      type: 'text',
      values: ['credit_card', 'boleto', 'voucher', 'debit_card', 'not_defined'],
      description: 'Payment method.',
    },
    { name: 'payment_installments', type: 'integer', range: { min: 0, max: 24 }, description: 'Number of installments chosen.' },
    { name: 'payment_value', type: 'money', range: { min: 0 }, description: 'Amount paid in BRL.' },
  ],
  primaryKey: ['order_id', 'payment_sequential'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes' },
  foreignKeys: [{ columns: ['order_id'], references: 'orders', referencedColumns: ['order_id'], enforcedInSource: true }],
};
