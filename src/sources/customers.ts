import type { SourceSpec } from './types.ts';

export const customers: SourceSpec = {
  name: 'customers',
  fileName: 'olist_customers_dataset.csv',
  description:
    'One row per order-customer: Olist issues a new customer_id for every order; customer_unique_id identifies the person.',
  columns: [
    { name: 'customer_id', type: 'id', description: 'Customer key of one order (1:1 with orders.customer_id).' },
    { name: 'customer_unique_id', type: 'id', description: 'The person behind the order; repeat buyers share it.' },
    { name: 'customer_zip_code_prefix', type: 'zip_prefix', description: 'First five digits of the customer CEP.' },
    { name: 'customer_city', type: 'text', description: 'City name, lower case without accents.' },
    { name: 'customer_state', type: 'state', description: 'Federative unit (UF).' },
  ],
  primaryKey: ['customer_id'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes' },
  cleaningRules: [
    'customers_dim is keyed by customer_id (the order-level key the facts carry); customer_unique_id is kept as an attribute and counts people in the marts.',
  ],
};
