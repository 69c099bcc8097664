import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';

/**
 * Headline figures computed straight from the CSV files, without our validator, SQL models or
 * database: what the warehouse publishes must agree with this second, independent computation.
 * Money is summed in integer cents so the comparison is exact.
 */
export interface IndependentFigures {
  records: Record<string, number>;
  orders: number;
  items: number;
  revenueOrders: number;
  revenueItems: number;
  gmvCents: number;
  ordersByState: Record<string, number>;
  deliveredWithDate: number;
  distinctCustomers: number;
}

async function* rows(file: string): AsyncGenerator<Record<string, string>> {
  const parser = createReadStream(file).pipe(parse({ bom: true, columns: true, relax_quotes: true, relax_column_count: true }));
  for await (const r of parser) yield r as Record<string, string>;
}

const cents = (s: string) => Math.round(Number(s) * 100);

export async function independentFigures(dir: string): Promise<IndependentFigures> {
  const records: Record<string, number> = {};
  const count = async (file: string, each: (r: Record<string, string>) => void = () => {}) => {
    let n = 0;
    for await (const r of rows(path.join(dir, file))) {
      n++;
      each(r);
    }
    records[file] = n;
  };
  const customerState = new Map<string, string>();
  const persons = new Set<string>();
  await count('olist_customers_dataset.csv', (r) => {
    customerState.set(r.customer_id!, r.customer_state!);
    persons.add(r.customer_unique_id!);
  });
  const status = new Map<string, string>();
  const ordersByState: Record<string, number> = {};
  let deliveredWithDate = 0;
  await count('olist_orders_dataset.csv', (r) => {
    status.set(r.order_id!, r.order_status!);
    const st = customerState.get(r.customer_id!) ?? '?';
    ordersByState[st] = (ordersByState[st] ?? 0) + 1;
    if (r.order_status === 'delivered' && r.order_delivered_customer_date) deliveredWithDate++;
  });
  let items = 0;
  let revenueItems = 0;
  let gmvCents = 0;
  const revenueOrders = new Set<string>();
  await count('olist_order_items_dataset.csv', (r) => {
    items++;
    const s = status.get(r.order_id!);
    if (s && s !== 'canceled' && s !== 'unavailable') {
      revenueItems++;
      revenueOrders.add(r.order_id!);
      gmvCents += cents(r.price!) + cents(r.freight_value!);
    }
  });
  for (const f of [
    'olist_geolocation_dataset.csv', 'olist_order_payments_dataset.csv', 'olist_order_reviews_dataset.csv',
    'olist_products_dataset.csv', 'olist_sellers_dataset.csv', 'product_category_name_translation.csv',
  ]) await count(f);
  return {
    records, orders: status.size, items, revenueOrders: revenueOrders.size, revenueItems, gmvCents,
    ordersByState, deliveredWithDate, distinctCustomers: persons.size,
  };
}
