import type { SourceSpec } from './types.ts';

export const sellers: SourceSpec = {
  name: 'sellers',
  fileName: 'olist_sellers_dataset.csv',
  description: 'Sellers of the marketplace and their location.',
  columns: [
    { name: 'seller_id', type: 'id', description: 'Seller key.' },
    { name: 'seller_zip_code_prefix', type: 'zip_prefix', description: 'First five digits of the seller CEP.' },
    { name: 'seller_city', type: 'text', description: 'City name.' },
    { name: 'seller_state', type: 'state', description: 'Federative unit (UF).' },
    { name: 'seller_effective_from', type: 'timestamp', nullable: true, optional: true, description: 'From when this version of the seller holds (sent by the feed with a correction; absent from the Kaggle file: since the beginning).' },
  ],
  primaryKey: ['seller_id'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes', versions: { effectiveColumn: 'seller_effective_from' } },
};
