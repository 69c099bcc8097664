import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';

/**
 * The answers of the analysis queries in queries/, computed a second time straight from the CSV
 * files in plain TypeScript (no validator, no SQL model, no database), for datasets without
 * malformed rows (the generator's). Money in integer cents; rates and averages as floats (the test
 * compares them within the rounding of the SQL).
 */

type Row = Record<string, string>;

async function read(dir: string, file: string): Promise<Row[]> {
  const out: Row[] = [];
  const parser = createReadStream(path.join(dir, file)).pipe(parse({ bom: true, columns: true, relax_quotes: true }));
  for await (const r of parser) out.push(r as Row);
  return out;
}

const cents = (s: string) => Math.round(Number(s) * 100);
const ms = (ts: string) => Date.parse(`${ts.replace(' ', 'T')}Z`);
const dayMs = (ts: string) => Date.parse(`${ts.slice(0, 10)}T00:00:00Z`);
const DAY = 86_400_000;
const month = (ts: string) => `${ts.slice(0, 7)}-01`;
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const isoDow = (ts: string) => {
  const d = new Date(`${ts.slice(0, 10)}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
};
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const byKey = <T>(xs: T[], key: (x: T) => string): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
};
/** PostgreSQL's ntile(n): groups as equal as possible, the first (rows mod n) one row larger. */
function ntile<T>(sorted: T[], n: number): Map<T, number> {
  const out = new Map<T, number>();
  const base = Math.floor(sorted.length / n);
  const extra = sorted.length % n;
  let i = 0;
  for (let bucket = 1; bucket <= n; bucket++) {
    const size = base + (bucket <= extra ? 1 : 0);
    for (let j = 0; j < size; j++) out.set(sorted[i++]!, bucket);
  }
  return out;
}
const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** IBGE macro-regions, written out again here on purpose (not read from the staging seed). */
const REGION: Record<string, string> = {
  AC: 'Norte', AP: 'Norte', AM: 'Norte', PA: 'Norte', RO: 'Norte', RR: 'Norte', TO: 'Norte',
  AL: 'Nordeste', BA: 'Nordeste', CE: 'Nordeste', MA: 'Nordeste', PB: 'Nordeste', PE: 'Nordeste', PI: 'Nordeste', RN: 'Nordeste', SE: 'Nordeste',
  DF: 'Centro-Oeste', GO: 'Centro-Oeste', MT: 'Centro-Oeste', MS: 'Centro-Oeste',
  ES: 'Sudeste', MG: 'Sudeste', RJ: 'Sudeste', SP: 'Sudeste',
  PR: 'Sul', RS: 'Sul', SC: 'Sul',
};

export interface Order {
  id: string;
  person: string;
  state: string;
  status: string;
  purchased: string;
  delivered: string;
  estimated: string;
  revenue: boolean;
  delivered_ok: boolean;
  late: boolean;
  valueCents: number;
  review: number | null;
}

export async function loadIndependent(dir: string) {
  const [orders, items, customers, products, translation, sellers, payments, reviews] = await Promise.all([
    read(dir, 'olist_orders_dataset.csv'), read(dir, 'olist_order_items_dataset.csv'), read(dir, 'olist_customers_dataset.csv'),
    read(dir, 'olist_products_dataset.csv'), read(dir, 'product_category_name_translation.csv'), read(dir, 'olist_sellers_dataset.csv'),
    read(dir, 'olist_order_payments_dataset.csv'), read(dir, 'olist_order_reviews_dataset.csv'),
  ]);
  const customer = new Map(customers.map((c) => [c.customer_id!, c]));
  const english = new Map(translation.map((t) => [t.product_category_name!, t.product_category_name_english!]));
  const category = new Map(products.map((p) => [p.product_id!, p.product_category_name ? (english.get(p.product_category_name) ?? p.product_category_name) : 'unknown']));
  const sellerState = new Map(sellers.map((s) => [s.seller_id!, s.seller_state!]));
  // the review kept per order: latest answer, then latest creation, then highest review id
  const keptReview = new Map<string, number>();
  for (const [orderId, rs] of byKey(reviews, (r) => r.order_id!)) {
    const desc = (a: string, b: string) => (a === b ? 0 : a === '' ? 1 : b === '' ? -1 : -cmp(a, b));
    rs.sort((a, b) => desc(a.review_answer_timestamp!, b.review_answer_timestamp!) || desc(a.review_creation_date!, b.review_creation_date!) || -cmp(a.review_id!, b.review_id!));
    keptReview.set(orderId, Number(rs[0]!.review_score));
  }
  const itemsByOrder = byKey(items, (i) => i.order_id!);
  const order = new Map<string, Order>();
  for (const o of orders) {
    const c = customer.get(o.customer_id!)!;
    const delivered = o.order_delivered_customer_date!;
    const deliveredOk = o.order_status === 'delivered' && delivered !== '';
    order.set(o.order_id!, {
      id: o.order_id!, person: c.customer_unique_id!, state: c.customer_state!, status: o.order_status!,
      purchased: o.order_purchase_timestamp!, delivered, estimated: o.order_estimated_delivery_date!,
      revenue: o.order_status !== 'canceled' && o.order_status !== 'unavailable',
      delivered_ok: deliveredOk,
      late: deliveredOk && dayMs(delivered) > dayMs(o.order_estimated_delivery_date!),
      valueCents: (itemsByOrder.get(o.order_id!) ?? []).reduce((a, i) => a + cents(i.price!) + cents(i.freight_value!), 0),
      review: keptReview.get(o.order_id!) ?? null,
    });
  }
  const item = items.map((i) => {
    const o = order.get(i.order_id!)!;
    return { order: o, seller: i.seller_id!, sellerState: sellerState.get(i.seller_id!)!, category: category.get(i.product_id!)!, priceCents: cents(i.price!), freightCents: cents(i.freight_value!) };
  });
  return { order: [...order.values()], item, payments: payments.map((p) => ({ order: order.get(p.order_id!)!, type: p.payment_type!, installments: Number(p.payment_installments), valueCents: cents(p.payment_value!) })) };
}

type Data = Awaited<ReturnType<typeof loadIndependent>>;
const deliveryDays = (o: Order) => (ms(o.delivered) - ms(o.purchased)) / DAY;

export function topCategoriesPerMonth(d: Data) {
  const out: { month: string; rank: number; category: string; orders: number; gmvCents: number }[] = [];
  for (const [m, its] of byKey(d.item.filter((i) => i.order.revenue), (i) => month(i.order.purchased))) {
    const cats = [...byKey(its, (i) => i.category)].map(([category, xs]) => ({
      category, orders: new Set(xs.map((x) => x.order.id)).size, gmvCents: xs.reduce((a, x) => a + x.priceCents + x.freightCents, 0),
    }));
    cats.sort((a, b) => b.gmvCents - a.gmvCents || cmp(a.category, b.category));
    cats.slice(0, 3).forEach((c, i) => out.push({ month: m, rank: i + 1, ...c }));
  }
  return out.sort((a, b) => cmp(a.month, b.month) || a.rank - b.rank);
}

export function sellerRanking(d: Data, minOrders: number, limit: number) {
  const rows = [...byKey(d.item, (i) => i.seller)].map(([seller, xs]) => {
    const orders = [...new Map(xs.map((x) => [x.order.id, x.order])).values()];
    const delivered = orders.filter((o) => o.delivered_ok);
    const scores = orders.map((o) => o.review).filter((s): s is number => s !== null);
    return {
      seller, state: xs[0]!.sellerState, orders: orders.length,
      gmvCents: xs.filter((x) => x.order.revenue).reduce((a, x) => a + x.priceCents + x.freightCents, 0),
      onTimeRate: delivered.length ? delivered.filter((o) => !o.late).length / delivered.length : null,
      avgReview: avg(scores),
    };
  });
  return rows.filter((r) => r.orders >= minOrders).sort((a, b) => b.gmvCents - a.gmvCents || cmp(a.seller, b.seller)).slice(0, limit);
}

function lateRows<K extends string>(groups: Map<K, Order[]>) {
  return [...groups].map(([key, os]) => {
    const delivered = os.filter((o) => o.delivered_ok);
    const late = delivered.filter((o) => o.late).length;
    return { key, delivered: delivered.length, late, lateRate: late / delivered.length, avgDeliveryDays: avg(delivered.map(deliveryDays))! };
  }).filter((r) => r.delivered > 0);
}

export function lateByState(d: Data) {
  return lateRows(byKey(d.order, (o) => o.state)).sort((a, b) => b.lateRate - a.lateRate || cmp(a.key, b.key));
}

export function lateByRoute(d: Data, minDelivered: number, limit: number) {
  const routeOrders = new Map<string, Map<string, Order>>();
  for (const i of d.item.filter((x) => x.order.revenue)) {
    const route = `${i.sellerState}>${i.order.state}`;
    if (!routeOrders.has(route)) routeOrders.set(route, new Map());
    routeOrders.get(route)!.set(i.order.id, i.order);
  }
  const groups = new Map([...routeOrders].map(([r, m]) => [r, [...m.values()]]));
  return lateRows(groups).filter((r) => r.delivered >= minDelivered)
    .sort((a, b) => b.lateRate - a.lateRate || cmp(a.key, b.key)).slice(0, limit);
}

const DELAY_BUCKETS = ['early 10+ days', 'early 5-9 days', 'early 1-4 days', 'on the day', 'late 1-3 days', 'late 4-7 days', 'late 8-14 days', 'late 15+ days'];
function delayBucket(days: number): number {
  if (days <= -10) return 0;
  if (days <= -5) return 1;
  if (days <= -1) return 2;
  if (days === 0) return 3;
  if (days <= 3) return 4;
  if (days <= 7) return 5;
  if (days <= 14) return 6;
  return 7;
}

export function reviewByDelay(d: Data) {
  const reviewed = d.order.filter((o) => o.delivered_ok && o.review !== null);
  return [...byKey(reviewed, (o) => String(delayBucket((dayMs(o.delivered) - dayMs(o.estimated)) / DAY)))]
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([b, os]) => {
      const scores = os.map((o) => o.review!);
      return {
        bucket: DELAY_BUCKETS[Number(b)]!, reviews: os.length, avgScore: avg(scores)!,
        lowRate: scores.filter((s) => s <= 2).length / os.length, fiveRate: scores.filter((s) => s === 5).length / os.length,
      };
    });
}

export function ordersByWeekdayAndHour(d: Data) {
  return [...byKey(d.order.filter((o) => o.revenue), (o) => `${isoDow(o.purchased)}|${Number(o.purchased.slice(11, 13))}`)]
    .map(([k, os]) => ({ dow: Number(k.split('|')[0]), hour: Number(k.split('|')[1]), orders: os.length, gmvCents: os.reduce((a, o) => a + o.valueCents, 0) }))
    .sort((a, b) => a.dow - b.dow || a.hour - b.hour);
}

export function freightShareByRegion(d: Data) {
  return [...byKey(d.item.filter((i) => i.order.revenue), (i) => REGION[i.order.state]!)].map(([region, xs]) => {
    const freight = xs.reduce((a, x) => a + x.freightCents, 0);
    const gmv = xs.reduce((a, x) => a + x.priceCents + x.freightCents, 0);
    return { region, freightCents: freight, gmvCents: gmv, share: freight / gmv };
  }).sort((a, b) => b.share - a.share);
}

function people(d: Data) {
  return byKey(d.order.filter((o) => o.revenue), (o) => o.person);
}

export function cohortRetention(d: Data) {
  const cohorts = new Map<string, { size: number; active: Map<number, Set<string>> }>();
  for (const [person, os] of people(d)) {
    const first = os.map((o) => month(o.purchased)).sort()[0]!;
    const c = cohorts.get(first) ?? { size: 0, active: new Map() };
    c.size++;
    for (const o of os) {
      const k = monthIndex(month(o.purchased)) - monthIndex(first);
      if (!c.active.has(k)) c.active.set(k, new Set());
      c.active.get(k)!.add(person);
    }
    cohorts.set(first, c);
  }
  return [...cohorts].sort((a, b) => cmp(a[0], b[0])).map(([m, c]) => ({
    cohort: m, customers: c.size, rate: (k: number) => (c.active.get(k)?.size ?? 0) / c.size,
  }));
}

export function paymentMix(d: Data) {
  const bucket = (n: number) => (n <= 1 ? '0-1' : n <= 3 ? '2-3' : n <= 6 ? '4-6' : n <= 10 ? '7-10' : '11+');
  const revenue = d.payments.filter((p) => p.order.revenue);
  const total = revenue.reduce((a, p) => a + p.valueCents, 0);
  return [...byKey(revenue, (p) => `${p.type}|${bucket(p.installments)}`)].map(([k, ps]) => {
    const value = ps.reduce((a, p) => a + p.valueCents, 0);
    return { type: k.split('|')[0]!, bucket: k.split('|')[1]!, payments: ps.length, valueCents: value, share: value / total };
  }).sort((a, b) => b.valueCents - a.valueCents);
}

export function rfmSegments(d: Data) {
  const ps = [...people(d)].map(([person, os]) => ({
    person, last: os.map((o) => o.purchased).sort().at(-1)!, orders: os.length, monetaryCents: os.reduce((a, o) => a + o.valueCents, 0),
  }));
  const r = ntile([...ps].sort((a, b) => cmp(a.last, b.last) || cmp(a.person, b.person)), 5);
  const m = ntile([...ps].sort((a, b) => a.monetaryCents - b.monetaryCents || cmp(a.person, b.person)), 5);
  const segment = (p: (typeof ps)[number]) => {
    const rs = r.get(p)!;
    if (p.orders >= 2) return rs >= 4 ? 'champions' : rs >= 2 ? 'loyal' : 'at_risk';
    if (rs === 5) return 'new';
    if (rs === 4) return 'promising';
    if (rs === 3) return 'needs_attention';
    return m.get(p)! >= 4 ? 'lost_big_spenders' : 'hibernating';
  };
  return [...byKey(ps, segment)].map(([seg, xs]) => ({
    segment: seg, customers: xs.length, avgOrders: avg(xs.map((x) => x.orders))!, monetaryCents: xs.reduce((a, x) => a + x.monetaryCents, 0),
    latest: xs.map((x) => x.last).sort().at(-1)!.slice(0, 10),
  })).sort((a, b) => b.monetaryCents - a.monetaryCents);
}

export function monthlyRevenue(d: Data) {
  const months = [...byKey(d.item.filter((i) => i.order.revenue), (i) => month(i.order.purchased))].map(([m, xs]) => ({
    month: m, orders: new Set(xs.map((x) => x.order.id)).size, gmvCents: xs.reduce((a, x) => a + x.priceCents + x.freightCents, 0),
  })).sort((a, b) => cmp(a.month, b.month));
  const byMonth = new Map(months.map((x) => [monthIndex(x.month), x]));
  return months.map((x) => {
    const previous = byMonth.get(monthIndex(x.month) - 1);
    return { ...x, growthPct: previous ? ((x.gmvCents - previous.gmvCents) / previous.gmvCents) * 100 : null };
  });
}

export function categorySalesInState(d: Data, state: string, from: string, to: string, limit: number) {
  const xs = d.item.filter((i) => i.order.revenue && i.order.state === state && i.order.purchased.slice(0, 10) >= from && i.order.purchased.slice(0, 10) <= to);
  return [...byKey(xs, (i) => i.category)].map(([category, ys]) => ({
    category, orders: new Set(ys.map((y) => y.order.id)).size, items: ys.length, gmvCents: ys.reduce((a, y) => a + y.priceCents + y.freightCents, 0),
  })).sort((a, b) => b.gmvCents - a.gmvCents || cmp(a.category, b.category)).slice(0, limit);
}

export function repeatCustomers(d: Data) {
  const perPerson = [...byKey(d.order, (o) => o.person).values()].map((os) => os.length);
  return { people: perPerson.length, repeat: perPerson.filter((n) => n > 1).length, most: Math.max(...perPerson) };
}

export function topCategories(d: Data, limit: number) {
  return [...byKey(d.item.filter((i) => i.order.revenue), (i) => i.category)].map(([category, xs]) => ({
    category, orders: new Set(xs.map((x) => x.order.id)).size, items: xs.length, priceCents: xs.reduce((a, x) => a + x.priceCents, 0),
  })).sort((a, b) => b.priceCents - a.priceCents).slice(0, limit);
}

export function lateByRegion(d: Data) {
  return lateRows(byKey(d.order, (o) => REGION[o.state]!)).map((r) => ({ region: r.key, delivered: r.delivered, latePct: (100 * r.late) / r.delivered }));
}

const PART_OF_DAY = (hour: number) => (hour < 6 ? 'madrugada' : hour < 12 ? 'manhã' : hour < 18 ? 'tarde' : 'noite');
export function salesByWeekdayAndPartOfDay(d: Data) {
  const revenue = d.item.filter((i) => i.order.revenue);
  return [...byKey(revenue, (i) => `${isoDow(i.order.purchased)}|${PART_OF_DAY(Number(i.order.purchased.slice(11, 13)))}`)].map(([k, xs]) => ({
    dow: Number(k.split('|')[0]), part: k.split('|')[1]!, orders: new Set(xs.map((x) => x.order.id)).size, gmvCents: xs.reduce((a, x) => a + x.priceCents + x.freightCents, 0),
  }));
}
