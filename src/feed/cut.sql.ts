/**
 * The simulator's rules, in SQL over the snapshot tables (snapshot.ts): which record, in which
 * version, becomes known in which period. One row of `<schema>.emissions` per record sent:
 *
 * - orders: on the purchase period, then again on each period a milestone (approval, carrier,
 *   delivery) became known; a version sent before the last one has the later timestamps empty and
 *   the status of its stage (created, approved, shipped, delivered); the last one is the source
 *   record itself, final status included (canceled, unavailable...). A milestone dated before the
 *   purchase (the source has some) is known at the purchase.
 * - customers, items, payments: with their order's purchase.
 * - sellers, products: on the period of their first sale.
 * - reviews: on their creation period (answer timestamp empty), and again, complete, on the period
 *   of the answer when that is later.
 * - geolocation, category translation, and any record that cannot be placed (no parsable date, no
 *   order): the reference batch, before the first period (`bucket` null).
 *
 * - with corrections on (`olist simulate --corrections`, correctionStatements below): sellers and
 *   products re-sent with changed values and the time they hold from, as the source system would
 *   re-send a row it corrected.
 *
 * Bucket values are text (`YYYY-MM-DD` or `YYYY-MM-DDTHH`), so they are also the batch ids.
 */
import type { SourceSpec } from '../sources/index.ts';

export type Granularity = 'day' | 'hour';

export const bucketText = (g: Granularity, expr: string): string =>
  g === 'day' ? `to_char(${expr}, 'YYYY-MM-DD')` : `to_char(${expr}, 'YYYY-MM-DD"T"HH24')`;

/**
 * A timestamp from text, or null when it does not parse (the row is then placed by its order, or
 * in the reference batch). Plain SQL, so the planner inlines it: a PL/pgSQL function catching the
 * cast's error would open a subtransaction per value (millions at scale 10). The last condition
 * rejects days past the month's end, the one thing the pattern cannot.
 */
export const SAFE_TIMESTAMP_FUNCTION = `
create or replace function pg_temp.olist_ts(v text) returns timestamp language sql immutable as $$
  select case
    when v ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
     and substr(v, 9, 2)::int <= extract(day from date_trunc('month', make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, 1)) + interval '1 month - 1 day')
    then v::timestamp
  end
$$`;

/** Parents before children, so a batch file never references a row only a later file brings. */
export const FEED_SOURCE_ORDER = ['category_translation', 'geolocation', 'customers', 'sellers', 'products', 'orders', 'order_items', 'order_payments', 'order_reviews'] as const;
export const sourceRank = (name: string): number => FEED_SOURCE_ORDER.indexOf(name as (typeof FEED_SOURCE_ORDER)[number]);

export function cutStatements(s: string, g: Granularity): string[] {
  const b = (expr: string) => bucketText(g, `date_trunc('${g}', ${expr})`);
  const rank = (name: string) => sourceRank(name);
  return [
    SAFE_TIMESTAMP_FUNCTION,
    // one row per order with its parsed milestones
    `create unlogged table ${s}.order_times as
       select seq, order_id, customer_id,
              pg_temp.olist_ts(order_purchase_timestamp) as p,
              pg_temp.olist_ts(order_approved_at) as a,
              pg_temp.olist_ts(order_delivered_carrier_date) as c,
              pg_temp.olist_ts(order_delivered_customer_date) as d
         from ${s}.orders`,
    `create index on ${s}.order_times (order_id)`,
    `create index on ${s}.order_times (customer_id)`,
    // the purchase period of each order id (the first, should an id repeat)
    `create unlogged table ${s}.order_bucket as
       select order_id, min(${b('p')}) as bucket from ${s}.order_times group by order_id`,
    `create unique index on ${s}.order_bucket (order_id)`,
    // patch: the fields a correction changes (kind 'correction')
    `create unlogged table ${s}.emissions (bucket text, src smallint not null, seq int not null, kind text not null, blank text[], status text, patch jsonb)`,
    // orders: one version per period in which something about the order became known
    `insert into ${s}.emissions
     with stages as (
       select o.seq, o.p, o.a, o.c, o.d, st.bucket,
              st.bucket = max(st.bucket) over (partition by o.seq) as is_last
         from ${s}.order_times o
         cross join lateral (
           select distinct ${b('greatest(o.p, t)')} as bucket
             from unnest(array[o.p, o.a, o.c, o.d]) t where t is not null
         ) st
        where o.p is not null
     ),
     known as (
       select seq, bucket, is_last,
              a is not null and ${b('greatest(p, a)')} <= bucket as known_a,
              c is not null and ${b('greatest(p, c)')} <= bucket as known_c,
              d is not null and ${b('greatest(p, d)')} <= bucket as known_d
         from stages
     )
     select bucket, ${rank('orders')}, seq,
            case when is_last then 'raw' else 'partial' end,
            case when is_last then null else array_remove(array[
              case when not known_a then 'order_approved_at' end,
              case when not known_c then 'order_delivered_carrier_date' end,
              case when not known_d then 'order_delivered_customer_date' end], null) end,
            case when is_last then null
                 when known_d then 'delivered' when known_c then 'shipped' when known_a then 'approved' else 'created' end
       from known
     union all
     select null, ${rank('orders')}, seq, 'raw', null, null from ${s}.order_times where p is null`,
    // customers, items and payments travel with their order
    `insert into ${s}.emissions
     select (select min(ob.bucket) from ${s}.order_times o join ${s}.order_bucket ob using (order_id) where o.customer_id = x.customer_id),
            ${rank('customers')}, x.seq, 'raw', null, null
       from ${s}.customers x`,
    ...(['order_items', 'order_payments'] as const).map(
      (src) => `insert into ${s}.emissions
       select ob.bucket, ${rank(src)}, x.seq, 'raw', null, null
         from ${s}.${src} x left join ${s}.order_bucket ob using (order_id)`,
    ),
    // sellers and products arrive with their first sale
    ...([['sellers', 'seller_id'], ['products', 'product_id']] as const).map(
      ([src, key]) => `insert into ${s}.emissions
       with first_sale as (
         select i.${key}, min(ob.bucket) as bucket
           from ${s}.order_items i join ${s}.order_bucket ob using (order_id) group by i.${key}
       )
       select f.bucket, ${rank(src)}, x.seq, 'raw', null, null
         from ${s}.${src} x left join first_sale f using (${key})`,
    ),
    // reviews: when sent, and again when answered
    `insert into ${s}.emissions
     with times as (
       select r.seq,
              coalesce(${b('pg_temp.olist_ts(r.review_creation_date)')}, ob.bucket) as created,
              ${b('pg_temp.olist_ts(r.review_answer_timestamp)')} as answered
         from ${s}.order_reviews r left join ${s}.order_bucket ob using (order_id)
     )
     select created, ${rank('order_reviews')}, seq, 'partial', array['review_answer_timestamp'], null from times where answered > created
     union all
     select case when answered > created then answered else created end, ${rank('order_reviews')}, seq, 'raw', null, null from times`,
    // reference files: whole, before the first period
    ...(['geolocation', 'category_translation'] as const).map(
      (src) => `insert into ${s}.emissions select null, ${rank(src)}, seq, 'raw', null, null from ${s}.${src}`,
    ),
    `create index on ${s}.emissions (bucket, src, seq)`,
  ];
}

/**
 * The corrections (documented in docs/data-model.md#where-history-comes-from), deterministic for a
 * seed: a number from the id's md5 and the seed picks who is corrected, and the partner of the
 * same rank in another order gives the new values. A change takes effect between the id's first
 * sale and the last purchase of the data (ids first sold in the data's last week are left alone),
 * so the first sale is always before it.
 *
 * - sellers, 1 in 50: move (zip prefix, city, state of another seller) from the middle of that
 *   span, sent that day; 1 in 4 of them also gets a late correction: another location effective
 *   from a quarter of the span, sent the day after the move (before a version already recorded:
 *   it splits the first period in two);
 * - products without a category, 1 in 5: get one (another product's) from the middle of the span;
 * - products with a weight, 1 in 50: the weight corrected by +10 % from the middle of the span
 *   (a type 1 column: no new version).
 */
export interface CorrectionRates {
  /** 1 in N sellers (sold at least a week apart) moves. */
  sellerMoves: number;
  /** 1 in N of the sellers who move also get a late correction. */
  lateOfMoves: number;
  /** 1 in N products without a category get one. */
  categories: number;
  /** 1 in N products with a weight get it corrected. */
  weights: number;
}

/** The rates `olist simulate --corrections` uses (docs/data-model.md). */
export const DOCUMENTED_CORRECTION_RATES: CorrectionRates = { sellerMoves: 50, lateOfMoves: 4, categories: 5, weights: 50 };

export function correctionStatements(s: string, g: Granularity, seed: number, rates: CorrectionRates = DOCUMENTED_CORRECTION_RATES): string[] {
  const every = (n: number) => Math.max(1, Math.floor(n));
  const b = (expr: string) => bucketText(g, `date_trunc('${g}', ${expr})`);
  const at = (expr: string) => `to_char(date_trunc('${g}', ${expr}), 'YYYY-MM-DD HH24:MI:SS')`;
  const hash = (expr: string) => `('x' || substr(md5(${expr} || ':${seed}'), 1, 7))::bit(28)::int`;
  const spans = (src: 'sellers' | 'products', key: string) => `
    with sold as (
      select i.${key}, min(o.p) as first_sale, (select max(p) from ${s}.order_times) as last_sale
        from ${s}.order_items i join ${s}.order_times o using (order_id) where o.p is not null group by i.${key}
    )
    select x.*, sold.first_sale, sold.last_sale, ${hash(`x.${key}`)} as h,
           sold.first_sale + (sold.last_sale - sold.first_sale) / 2 as middle,
           sold.first_sale + (sold.last_sale - sold.first_sale) / 4 as quarter
      from ${s}.${src} x join sold using (${key})
     where sold.last_sale - sold.first_sale >= interval '7 days'`;
  return [
    `create unlogged table ${s}.seller_spans as ${spans('sellers', 'seller_id')}`,
    `create unlogged table ${s}.product_spans as ${spans('products', 'product_id')}`,
    // sellers: the location of the seller 1 (move) and 2 (late correction) ranks further in hash order
    `insert into ${s}.emissions (bucket, src, seq, kind, patch)
     with ranked as (
       select seq, seller_zip_code_prefix, seller_city, seller_state,
              row_number() over (order by md5(seller_id || ':${seed}'), seq) - 1 as rn, count(*) over () as n
         from ${s}.sellers
     ),
     movers as (
       select sp.seq, sp.h, sp.middle, sp.quarter, r.rn, r.n from ${s}.seller_spans sp join ranked r using (seq) where sp.h % ${every(rates.sellerMoves)} = 0
     )
     select ${b('m.middle')}, ${sourceRank('sellers')}, m.seq, 'correction',
            jsonb_build_object('seller_zip_code_prefix', p.seller_zip_code_prefix, 'seller_city', p.seller_city, 'seller_state', p.seller_state,
                               'seller_effective_from', ${at('m.middle')})
       from movers m join ranked p on p.rn = (m.rn + 1) % m.n
     union all
     select ${b(`date_trunc('${g}', m.middle) + interval '1 day'`)}, ${sourceRank('sellers')}, m.seq, 'correction',
            jsonb_build_object('seller_zip_code_prefix', p.seller_zip_code_prefix, 'seller_city', p.seller_city, 'seller_state', p.seller_state,
                               'seller_effective_from', ${at('m.quarter')})
       from movers m join ranked p on p.rn = (m.rn + 2) % m.n
      where (m.h / ${every(rates.sellerMoves)}) % ${every(rates.lateOfMoves)} = 0`,
    // products without a category get the category of the categorised product of the same rank
    `insert into ${s}.emissions (bucket, src, seq, kind, patch)
     with categories as (
       select product_category_name as category, row_number() over (order by md5(product_id || ':${seed}'), seq) - 1 as rn, count(*) over () as n
         from ${s}.products where coalesce(product_category_name, '') <> ''
     )
     select ${b('sp.middle')}, ${sourceRank('products')}, sp.seq, 'correction',
            jsonb_build_object('product_category_name', c.category, 'product_effective_from', ${at('sp.middle')})
       from ${s}.product_spans sp join categories c on c.rn = sp.h % c.n
      where coalesce(sp.product_category_name, '') = '' and sp.h % ${every(rates.categories)} = 0`,
    // weights corrected by +10 % (type 1)
    `insert into ${s}.emissions (bucket, src, seq, kind, patch)
     select ${b('sp.middle')}, ${sourceRank('products')}, sp.seq, 'correction',
            jsonb_build_object('product_weight_g', round(sp.product_weight_g::numeric * 1.1)::text, 'product_effective_from', ${at('sp.middle')})
       from ${s}.product_spans sp
      where coalesce(sp.product_category_name, '') <> '' and sp.product_weight_g ~ '^[0-9]+$' and sp.h % ${every(rates.weights)} = ${every(rates.weights) > 1 ? 1 : 0}`,
  ];
}

/** The record (and, for a partial version, its fields) of every emission, in output order. */
export function emissionsQuery(s: string, sources: readonly SourceSpec[]): string {
  const parts = sources.map(
    (spec) => `select e.bucket, e.src, e.seq, e.kind, e.blank, e.status, t.raw,
                      case when e.kind = 'raw' then null else to_jsonb(t) || coalesce(e.patch, '{}') end as fields
                 from ${s}.emissions e join ${s}.${spec.name} t on t.seq = e.seq
                where e.src = ${sourceRank(spec.name)}`,
  );
  return `${parts.join('\nunion all\n')}\norder by bucket nulls first, src, seq, kind desc`;
}
