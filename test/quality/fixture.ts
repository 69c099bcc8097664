/**
 * A small hand-made Olist-format dataset for the quality tests: clean except for issues planted on
 * purpose, each a known number of times (PLANTED_WARNINGS), plus two rows the ingest must reject.
 * `violating()` adds error-level violations that must block the publish (PLANTED_ERRORS).
 * Ids: a=order, b=product, c=customer, d=person, e=seller, f=review (hex, 32 characters).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SOURCES } from '../../src/sources/index.ts';

export const id = (prefix: string, n: number): string => `${prefix}${String(n).padStart(31, '0')}`;

type Row = (string | number | null)[];
export type Dataset = Record<string, Row[]>;

const o = (n: number) => id('a', n);
const p = (n: number) => id('b', n);
const c = (n: number) => id('c', n);
const e = (n: number) => id('e', n);
const r = (n: number) => id('f', n);

/** The clean base with planted known issues. Rows follow the column order of the source specs. */
export function baseDataset(): Dataset {
  return {
    customers: [
      [c(1), id('d', 1), '01001', 'sao paulo', 'SP'],
      [c(2), id('d', 2), '20000', 'rio de janeiro', 'RJ'],
      [c(3), id('d', 3), '30000', 'belo horizonte', 'MG'],
      [c(4), id('d', 4), '69000', 'manaus', 'AM'],
      [c(5), id('d', 1), '01001', 'sao paulo', 'SP'], // repeat buyer (same person)
      [c(6), id('d', 6), '99999', 'nowhere', 'BA'], // PLANTED: prefix without geolocation
      [c(7), id('d', 7), '20000', 'rio de janeiro', 'RJ'],
      [c(8), id('d', 8), '30000', 'belo horizonte', 'MG'],
    ],
    geolocation: [
      ['01001', -23.55, -46.63, 'sao paulo', 'SP'],
      ['01001', -23.55, -46.63, 'sao paulo', 'SP'], // PLANTED: duplicate point (1 key, 2 rows)
      ['01001', -23.56, -46.64, 'sao paulo', 'SP'],
      ['20000', -22.9, -43.2, 'rio de janeiro', 'RJ'],
      ['20000', 40.4, -3.7, 'rio de janeiro', 'RJ'], // PLANTED: outside Brazil (Madrid)
      ['30000', -19.9, -43.9, 'belo horizonte', 'MG'],
      ['30000', -19.9, 12.5, 'belo horizonte', 'MG'], // PLANTED: outside Brazil (longitude)
      ['69000', -3.1, -60.0, 'manaus', 'AM'],
    ],
    sellers: [
      [e(1), '30000', 'belo horizonte', 'MG'],
      [e(2), '01001', 'sao paulo', 'SP'],
    ],
    products: [
      [p(1), 'perfumaria', 40, 287, 1, 225, 16, 10, 14],
      [p(2), null, null, null, null, 300, 20, 10, 10], // PLANTED: no category
      [p(3), 'pc_gamer', 10, 100, 1, 500, 10, 10, 10], // PLANTED: category without translation
      [p(4), null, null, null, null, 100, 5, 5, 5], // PLANTED: no category (never sold)
    ],
    category_translation: [
      ['perfumaria', 'perfumery'],
      ['cama_mesa_banho', 'bed_bath_table'],
    ],
    orders: [
      // order, customer, status, purchase, approved, carrier, delivered, estimated
      [o(1), c(1), 'delivered', '2017-01-05 10:00:00', '2017-01-05 10:10:00', '2017-01-06 09:00:00', '2017-01-10 12:00:00', '2017-01-20 00:00:00'],
      [o(2), c(2), 'delivered', '2017-01-05 22:30:00', '2017-01-05 22:40:00', '2017-01-06 20:00:00', null, '2017-01-25 00:00:00'], // PLANTED: delivered without date
      [o(3), c(3), 'delivered', '2017-01-06 08:00:00', '2017-01-06 12:00:00', '2017-01-06 11:00:00', '2017-01-12 10:00:00', '2017-01-26 00:00:00'], // PLANTED: carrier before approval
      [o(4), c(4), 'canceled', '2017-01-06 09:00:00', null, null, null, '2017-01-27 00:00:00'], // canceled without items: not a sale, fine
      [o(5), c(5), 'delivered', '2017-01-06 15:00:00', '2017-01-06 15:10:00', '2017-01-09 10:00:00', '2017-01-08 15:00:00', '2017-01-15 00:00:00'], // PLANTED: delivered before carrier
      [o(6), c(6), 'shipped', '2017-01-07 15:00:00', '2017-01-07 15:30:00', '2017-01-08 09:00:00', null, '2017-01-27 00:00:00'], // PLANTED: sale without items, without payment
      [o(7), c(7), 'delivered', '2017-01-08 10:00:00', '2017-01-08 09:00:00', '2017-01-09 10:00:00', '2017-01-15 10:00:00', '2017-01-28 00:00:00'], // PLANTED: approved before purchase
      [o(8), c(8), 'invoiced', '2017-01-09 11:00:00', '2017-01-09 11:05:00', null, null, '2017-01-29 00:00:00'],
    ],
    order_items: [
      [o(1), 1, p(1), e(1), '2017-01-07 10:00:00', '100.00', '10.00'],
      [o(1), 2, p(3), e(2), '2017-01-07 10:00:00', '50.50', '5.25'],
      [o(2), 1, p(2), e(2), '2017-01-07 22:30:00', '30.00', '7.00'],
      [o(3), 1, p(1), e(1), '2017-01-08 08:00:00', '100.00', '10.00'],
      [o(5), 1, p(1), e(1), '2019-03-08 15:00:00', '200.00', '20.00'], // PLANTED: shipping limit 2 years after purchase
      [o(7), 1, p(1), e(2), '2017-01-10 10:00:00', '80.00', '0.00'],
      [o(8), 1, p(3), e(1), '2017-01-11 11:00:00', '25.00', '5.00'],
    ],
    order_payments: [
      [o(1), 1, 'credit_card', 3, '165.75'],
      [o(2), 1, 'credit_card', 6, '40.12'], // PLANTED: paid 40.12 for 37.00 of items (interest)
      [o(3), 1, 'boleto', 1, '110.00'],
      [o(4), 1, 'credit_card', 1, '10.00'],
      [o(4), 2, 'bitcoin', 1, '5.00'], // REJECTED at ingest: unknown payment type
      [o(5), 1, 'voucher', 1, '100.00'],
      [o(5), 2, 'credit_card', 2, '120.00'],
      [o(7), 1, 'debit_card', 1, '80.00'],
      [o(8), 1, 'boleto', 1, '30.00'],
    ],
    order_reviews: [
      [r(1), o(1), 5, null, 'Ótimo, chegou rápido', '2017-01-11 00:00:00', '2017-01-12 10:00:00'],
      [r(1), o(1), 5, null, 'Ótimo, chegou rápido', '2017-01-11 00:00:00', '2017-01-12 10:00:00'], // PLANTED: exact duplicate
      [r(2), o(2), 3, null, null, '2017-01-26 00:00:00', '2017-01-27 00:00:00'],
      [r(2), o(3), 3, null, null, '2017-01-26 00:00:00', '2017-01-27 00:00:00'], // PLANTED: one review on 2 orders
      [r(3), o(5), 1, 'Atrasou', 'muito ruim, "atrasado"', '2017-01-16 00:00:00', '2017-01-17 08:00:00'],
      [r(4), o(5), 2, null, null, '2017-01-16 00:00:00', '2017-01-18 09:00:00'], // PLANTED: 2 reviews on one order
      [r(5), o(7), 4, null, null, null, '2017-01-20 00:00:00'], // PLANTED: no creation date
      [r(6), o(8), 7, null, null, '2017-01-20 00:00:00', '2017-01-21 00:00:00'], // REJECTED at ingest: score 7
    ],
  };
}

/** Checks (by name) expected to warn on the base dataset, with their exact failing counts. */
export const PLANTED_WARNINGS: Record<string, number> = {
  'raw.geolocation.primary_key': 1,
  'raw.geolocation.inside_brazil': 2,
  'raw.order_reviews.primary_key': 1,
  'stg_orders.delivered_without_date': 1,
  'stg_orders.carrier_after_approval': 1,
  'stg_orders.approved_after_purchase': 1,
  'stg_orders.delivered_after_carrier': 1,
  'stg_products.without_category': 2,
  'stg_products.category_untranslated': 1,
  'stg_order_reviews.orders_with_several_reviews': 1,
  'stg_order_reviews.reviews_on_several_orders': 1,
  'stg_order_reviews.missing_date.review_creation_date': 1,
  'customers_dim.without_geolocation': 1,
  'order_fulfillment_fact.payments_match_items': 1,
  'order_fulfillment_fact.without_payment': 1,
  'order_fulfillment_fact.sale_without_items': 1,
  'orders_fact.shipping_limit_far_future': 1,
};

/** The base plus error-level violations that pass the ingest (they are about relations, not rows). */
export function violatingDataset(): Dataset {
  const d = baseDataset();
  d.order_items!.push(
    [o(9), 1, p(1), e(1), '2017-01-12 10:00:00', '60.00', '6.00'], // order a..09 does not exist
    [o(8), 2, p(9), e(1), '2017-01-11 11:00:00', '15.00', '1.00'], // product b..09 does not exist
  );
  return d;
}

/** Checks expected to FAIL on the violating dataset (and no other), with exact failing counts. */
export const PLANTED_ERRORS: Record<string, number> = {
  'raw.order_items.relationships.order_id_orders': 1, // the orphan item
  'raw.order_items.relationships.product_id_products': 1, // the unknown product
  'orders_fact.reconcile.items': 1, // the orphan item cannot join its order: lost from the fact
  'order_fulfillment_fact.reconcile.order_totals': 1, // ...and its value from every order total
  'orders_fact.not_null.product_key': 1, // the unknown product leaves a sale without product
  'orders_fact.product_version_at_purchase': 1, // ... and so without the product version valid at its purchase (point_in_time catches null keys)
  'revenue_by_category.reconcile.gmv': 1, // ...whose revenue no category (point in time) can hold
};

function field(v: string | number | null, quoteNumeric: boolean): string {
  if (v === null) return '';
  const s = String(v);
  if (/[",\r\n]/.test(s) || (quoteNumeric && /^[0-9]/.test(s) && typeof v === 'string')) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

/** Writes the nine files (Kaggle names and headers, from the specs) into a fresh temp dir. */
export async function writeDataset(d: Dataset): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-quality-'));
  for (const spec of SOURCES) {
    // the Kaggle layout: without the optional columns only the feed sends
    const header = spec.columns.filter((col) => !col.optional).map((col) => `"${col.source ?? col.name}"`).join(',');
    const lines = (d[spec.name] ?? []).map((row) => row.map((v) => field(v, true)).join(','));
    await fs.writeFile(path.join(dir, spec.fileName), `${[header, ...lines].join('\n')}\n`, 'utf8');
  }
  return dir;
}
