import type { SourceSpec } from './types.ts';

export const orderReviews: SourceSpec = {
  name: 'order_reviews',
  fileName: 'olist_order_reviews_dataset.csv',
  description: 'Satisfaction surveys sent after delivery (or the estimated date); comments are free text with line breaks.',
  columns: [
    { name: 'review_id', type: 'id', description: 'Survey id; the same survey can cover several orders.' },
    { name: 'order_id', type: 'id', description: 'Order reviewed; an order can have several reviews.' },
    { name: 'review_score', type: 'integer', range: { min: 1, max: 5 }, description: 'Score from 1 to 5.' },
    { name: 'review_comment_title', type: 'text', nullable: true, description: 'Comment title (Portuguese).' },
    { name: 'review_comment_message', type: 'text', nullable: true, description: 'Comment text (Portuguese, may span lines).' },
    { name: 'review_creation_date', type: 'timestamp', nullable: true, description: 'Date the survey was sent.' },
    { name: 'review_answer_timestamp', type: 'timestamp', nullable: true, description: 'When the customer answered.' },
  ],
  primaryKey: ['review_id', 'order_id'],
  primaryKeyUniqueInSource: false,
  feed: { kind: 'changes', progress: ['review_answer_timestamp'] },
  foreignKeys: [{ columns: ['order_id'], references: 'orders', referencedColumns: ['order_id'], enforcedInSource: true }],
  cleaningRules: [
    'Exact duplicate (review_id, order_id) rows are reduced to one.',
    'For metrics, each order keeps one review: the latest answered (then latest created, then highest review_id).',
  ],
};
