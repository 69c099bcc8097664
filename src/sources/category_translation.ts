import type { SourceSpec } from './types.ts';

export const categoryTranslation: SourceSpec = {
  name: 'category_translation',
  fileName: 'product_category_name_translation.csv',
  description: 'Portuguese category name to English (UTF-8 with BOM, CRLF); a few categories are missing.',
  columns: [
    { name: 'product_category_name', type: 'text', description: 'Category (Portuguese).' },
    { name: 'product_category_name_english', type: 'text', description: 'Category (English).' },
  ],
  primaryKey: ['product_category_name'],
  primaryKeyUniqueInSource: true,
  feed: { kind: 'reference' },
};
