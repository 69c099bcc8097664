import type { SourceSpec } from './types.ts';

export const products: SourceSpec = {
  name: 'products',
  fileName: 'olist_products_dataset.csv',
  description: 'Product catalogue with Portuguese category names and package dimensions.',
  columns: [
    { name: 'product_id', type: 'id', description: 'Product key.' },
    { name: 'product_category_name', type: 'text', nullable: true, description: 'Category (Portuguese, snake_case).' },
    { name: 'product_name_length', source: 'product_name_lenght', type: 'integer', nullable: true, range: { min: 0 }, description: 'Characters in the product name (source header misspelled).' },
    { name: 'product_description_length', source: 'product_description_lenght', type: 'integer', nullable: true, range: { min: 0 }, description: 'Characters in the description (source header misspelled).' },
    { name: 'product_photos_qty', type: 'integer', nullable: true, range: { min: 0 }, description: 'Photos published.' },
    { name: 'product_weight_g', type: 'integer', nullable: true, range: { min: 0 }, description: 'Package weight in grams.' },
    { name: 'product_length_cm', type: 'integer', nullable: true, range: { min: 0 }, description: 'Package length in cm.' },
    { name: 'product_height_cm', type: 'integer', nullable: true, range: { min: 0 }, description: 'Package height in cm.' },
    { name: 'product_width_cm', type: 'integer', nullable: true, range: { min: 0 }, description: 'Package width in cm.' },
    { name: 'product_effective_from', type: 'timestamp', nullable: true, optional: true, description: 'From when this version of the product holds (sent by the feed with a correction; absent from the Kaggle file: since the beginning).' },
  ],
  primaryKey: ['product_id'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'changes', versions: { effectiveColumn: 'product_effective_from' } },
  cleaningRules: [
    "Products without a category get the category 'unknown' (English 'unknown'); they are never dropped.",
    'Categories missing from the translation table keep their Portuguese name as the English name.',
  ],
};
