import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openContext, type Context } from '../src/pipeline/context.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { SourceFileError } from '../src/ingest/errors.ts';
import { LockedError, withWarehouseLock } from '../src/db/lock.ts';
import { writeTrapFixture, TRAP_FILES } from './fixtures/traps.ts';
import { openTestWarehouse, quietLogger, type TestDatabase } from './helpers/db.ts';

const id = (prefix: string, n: number) => `${prefix}${String(n).padStart(31, '0')}`;

/** A fingerprint of every published mart, to prove that a failed run changed nothing. */
async function martsFingerprint(ctx: Context): Promise<string> {
  const { rows } = await ctx.db.pool.query<{ t: string }>(
    "select table_name as t from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1",
  );
  const parts: string[] = [];
  for (const { t } of rows) {
    const r = await ctx.db.pool.query<{ h: string }>(`select md5(coalesce(string_agg(m::text, '|' order by m::text), '')) as h from marts.${t} m`);
    parts.push(`${t}:${r.rows[0]!.h}`);
  }
  return parts.join(',');
}

describe('pipeline on the trap fixture', () => {
  let db: TestDatabase;
  let close: (() => Promise<void>) | undefined;
  let ctx: Context;
  let dataDir: string;

  before(async () => {
    ({ db, ctx, close } = await openTestWarehouse('pipeline'));
    dataDir = await writeTrapFixture();
  });
  after(async () => {
    await close?.();
  });

  test('every row is accounted for: read = loaded + rejected, per file', async () => {
    const summary = await runPipeline(ctx, dataDir);
    const counts = Object.fromEntries(summary.files.map((f) => [f.file, [f.rowsRead, f.rowsLoaded, f.rowsRejected]]));
    assert.deepEqual(counts, {
      'olist_customers_dataset.csv': [7, 6, 1], // state XX
      'olist_geolocation_dataset.csv': [7, 6, 1], // 4-digit prefix
      'olist_order_items_dataset.csv': [7, 5, 2], // negative price; the item of quarantined order a7
      'olist_order_payments_dataset.csv': [7, 5, 2], // unknown payment type; the payment of quarantined order a6
      'olist_order_reviews_dataset.csv': [6, 4, 2], // bare quote, score 6
      'olist_orders_dataset.csv': [7, 5, 2], // status 'lost', 30 February
      'olist_products_dataset.csv': [3, 3, 0],
      'olist_sellers_dataset.csv': [2, 2, 0],
      'product_category_name_translation.csv': [1, 1, 0],
    });
    assert.deepEqual(summary.layers, ['raw', 'staging', 'warehouse', 'marts']);
    const audit = await ctx.db.pool.query('select sum(rows_read)::int r, sum(rows_loaded)::int l, sum(rows_rejected)::int j from audit.file_loads where run_id = $1', [summary.runId]);
    assert.deepEqual(audit.rows[0], { r: 47, l: 37, j: 10 });
  });

  test('quarantine names file, line, column, value and reason', async () => {
    const { rows } = await ctx.db.pool.query(
      `select file_name, line::int, column_name, value, reason from audit.rejected_rows
        where run_id = (select max(run_id) from audit.file_loads) order by file_name, line`,
    );
    assert.deepEqual(rows, [
      { file_name: 'olist_customers_dataset.csv', line: 8, column_name: 'customer_state', value: 'XX', reason: 'not a Brazilian state code' },
      { file_name: 'olist_geolocation_dataset.csv', line: 8, column_name: 'geolocation_zip_code_prefix', value: '3000', reason: 'not a 5-digit zip code prefix' },
      { file_name: 'olist_order_items_dataset.csv', line: 7, column_name: 'price', value: '-5.00', reason: 'out of range 0..+inf' },
      // valid rows whose order was quarantined go with it (referential quarantine)
      { file_name: 'olist_order_items_dataset.csv', line: 8, column_name: 'order_id', value: id('a', 7), reason: 'order_id refers to a quarantined row of olist_orders_dataset.csv' },
      { file_name: 'olist_order_payments_dataset.csv', line: 7, column_name: 'payment_type', value: 'bitcoin', reason: 'not one of credit_card, boleto, voucher, debit_card, not_defined' },
      { file_name: 'olist_order_payments_dataset.csv', line: 8, column_name: 'order_id', value: id('a', 6), reason: 'order_id refers to a quarantined row of olist_orders_dataset.csv' },
      // The multi-line comment spans lines 4-5, so the bare-quote record is on line 7.
      { file_name: 'olist_order_reviews_dataset.csv', line: 7, column_name: null, value: null, reason: 'expected 7 fields, found 8' },
      { file_name: 'olist_order_reviews_dataset.csv', line: 8, column_name: 'review_score', value: '6', reason: 'out of range 1..5' },
      { file_name: 'olist_orders_dataset.csv', line: 7, column_name: 'order_status', value: 'lost', reason: 'not one of delivered, shipped, canceled, unavailable, invoiced, processing, created, approved' },
      { file_name: 'olist_orders_dataset.csv', line: 8, column_name: 'order_purchase_timestamp', value: '2017-02-30 10:00:00', reason: 'not a timestamp YYYY-MM-DD HH:MM:SS' },
    ]);
  });

  test('multi-line quoted comments keep their line break and quotes', async () => {
    const { rows } = await ctx.db.pool.query('select review_comment_message m, _line::int l from raw.order_reviews where review_id = $1', [id('f', 2)]);
    assert.deepEqual(rows, [{ m: 'Chegou "atrasado"\r\nmuito ruim', l: 4 }]);
  });

  test('star schema: dimensions resolve the traps', async () => {
    const q = async (sql: string, params: unknown[] = []) => (await ctx.db.pool.query(sql, params)).rows;
    assert.deepEqual(await q('select count(*)::int n from warehouse.orders_fact'), [{ n: 5 }]);
    assert.deepEqual(await q('select count(*)::int n from warehouse.order_fulfillment_fact'), [{ n: 5 }]);
    // customer_id is per order; two orders of the same person share customer_unique_id
    assert.deepEqual(await q('select count(*)::int n, count(distinct customer_unique_id)::int p from warehouse.customers_dim'), [{ n: 6, p: 5 }]);
    // geolocation: 3 prefixes; the point in Spain is dropped; median of the in-Brazil points
    assert.deepEqual(await q('select count(*)::int n from staging.stg_geolocation'), [{ n: 3 }]);
    const sp = await q('select latitude::float8 lat, longitude::float8 lng, region from warehouse.customers_dim where customer_id = $1', [id('c', 1)]);
    assert.deepEqual(sp, [{ lat: -23.55, lng: -46.63, region: 'Sudeste' }]);
    // zip prefix 69000 has no geolocation: coordinates unknown, the customer is kept
    assert.deepEqual(await q('select latitude, region from warehouse.customers_dim where customer_id = $1', [id('c', 4)]), [{ latitude: null, region: 'Norte' }]);
    // products: no category -> unknown; category missing from translation -> Portuguese name
    const products = await q('select product_id, category_name_en en from warehouse.products_dim order by 1');
    assert.deepEqual(products.map((p) => p.en), ['perfumery', 'unknown', 'pc_gamer']);
    // the order with two reviews keeps the latest answered one (score 2, not 1)
    assert.deepEqual(await q('select review_score from warehouse.order_fulfillment_fact where order_id = $1', [id('a', 5)]), [{ review_score: 2 }]);
  });

  test('marts: revenue excludes canceled/unavailable orders and is attributed to the purchase day', async () => {
    const { rows } = await ctx.db.pool.query('select day, orders, items, items_revenue, freight_revenue, gmv, avg_order_value from marts.daily_revenue order by day');
    assert.deepEqual(rows, [
      // a1 (2 items 150.50 + 15.25 freight) + a2 (30.00 + 7.00): 202.75 over 2 orders
      { day: '2017-01-05', orders: 2, items: 3, items_revenue: '180.50', freight_revenue: '22.25', gmv: '202.75', avg_order_value: '101.38' },
      // a5 (200 + 20); a3 is canceled, a4 unavailable without items
      { day: '2017-01-06', orders: 1, items: 1, items_revenue: '200.00', freight_revenue: '20.00', gmv: '220.00', avg_order_value: '220.00' },
    ]);
    const monthly = await ctx.db.pool.query('select month, orders, gmv, gmv_growth_pct from marts.monthly_revenue');
    assert.deepEqual(monthly.rows, [{ month: '2017-01-01', orders: 3, gmv: '422.75', gmv_growth_pct: null }]);
    const states = await ctx.db.pool.query('select state, region, orders, delivered_orders, canceled_orders, customers, gmv from marts.orders_by_state order by state');
    assert.deepEqual(states.rows, [
      { state: 'AM', region: 'Norte', orders: 1, delivered_orders: 0, canceled_orders: 0, customers: 1, gmv: '0.00' },
      { state: 'RJ', region: 'Sudeste', orders: 2, delivered_orders: 1, canceled_orders: 1, customers: 2, gmv: '220.00' },
      { state: 'SP', region: 'Sudeste', orders: 2, delivered_orders: 2, canceled_orders: 0, customers: 1, gmv: '202.75' },
    ]);
    // delivered with a date: a1 (5.08 days, on time) and a5 (14 days, late); a2 has no date
    const delivery = await ctx.db.pool.query('select month, delivered_orders, avg_delivery_days, late_orders, late_rate from marts.delivery_times_monthly');
    assert.equal(delivery.rows.length, 1);
    const d = delivery.rows[0];
    assert.deepEqual([d.month, d.delivered_orders, Number(d.avg_delivery_days), d.late_orders, Number(d.late_rate)], ['2017-01-01', 2, 9.54, 1, 0.5]);
  });

  test('time_dim: one row per day with Brazilian holidays computed from Easter', async () => {
    const span = await ctx.db.pool.query("select count(*)::int n, min(date) lo from warehouse.time_dim where date between '2016-01-01' and '2018-12-31'");
    assert.deepEqual(span.rows, [{ n: 1096, lo: '2016-01-01' }]);
    const { rows } = await ctx.db.pool.query(
      "select date, holiday_name, is_weekend, season, date_key from warehouse.time_dim where holiday_name is not null and year = 2018 and month <= 4 order by date",
    );
    assert.deepEqual(rows, [
      { date: '2018-01-01', holiday_name: 'Confraternização Universal', is_weekend: false, season: 'Verão', date_key: 20180101 },
      { date: '2018-02-12', holiday_name: 'Carnaval', is_weekend: false, season: 'Verão', date_key: 20180212 }, // Easter 2018-04-01 minus 48 days
      { date: '2018-02-13', holiday_name: 'Carnaval', is_weekend: false, season: 'Verão', date_key: 20180213 },
      { date: '2018-03-30', holiday_name: 'Sexta-feira Santa', is_weekend: false, season: 'Outono', date_key: 20180330 },
      { date: '2018-04-21', holiday_name: 'Tiradentes', is_weekend: true, season: 'Outono', date_key: 20180421 },
    ]);
  });

  test('a rerun on the same input publishes identical marts', async () => {
    const before = await martsFingerprint(ctx);
    await runPipeline(ctx, dataDir);
    assert.equal(await martsFingerprint(ctx), before);
  });

  test('a wrong header fails the run naming the file, and the warehouse stays as it was', async () => {
    const before = await martsFingerprint(ctx);
    const rawBefore = (await ctx.db.pool.query('select count(*)::int n from raw.orders')).rows[0];
    const badDir = await writeTrapFixture({
      'olist_orders_dataset.csv': TRAP_FILES['olist_orders_dataset.csv']!.replace('"order_status"', '"order_state"'),
    });
    await assert.rejects(runPipeline(ctx, badDir), (err: Error) => {
      assert.ok(err instanceof SourceFileError);
      assert.match(err.message, /^olist_orders_dataset\.csv, line 1: wrong header: missing required column\(s\) 'order_status'/);
      return true;
    });
    assert.equal(await martsFingerprint(ctx), before);
    assert.deepEqual((await ctx.db.pool.query('select count(*)::int n from raw.orders')).rows[0], rawBefore);
    const last = await ctx.db.pool.query("select status, error from audit.runs order by run_id desc limit 1");
    assert.equal(last.rows[0].status, 'failed');
    // nothing half-loaded stays staged for a later `olist publish`
    const staged = await ctx.db.pool.query("select nspname from pg_namespace where nspname like '%\\_build'");
    assert.deepEqual(staged.rows, []);
  });

  test('a file that is not UTF-8 fails the run with its line and column', async () => {
    const dir = await writeTrapFixture();
    const fs = await import('node:fs/promises');
    const file = `${dir}/olist_sellers_dataset.csv`;
    const latin1 = Buffer.from(TRAP_FILES['olist_sellers_dataset.csv']!.replace('sao paulo', 'são paulo'), 'latin1');
    await fs.writeFile(file, latin1);
    await assert.rejects(runPipeline(ctx, dir), /olist_sellers_dataset\.csv, line 3, column seller_city: wrong encoding/);
  });

  test('a NUL byte in a field quarantines its row; the file still loads', async () => {
    const sellers = TRAP_FILES['olist_sellers_dataset.csv']!.replace('sao paulo', 'sao\0paulo');
    const summary = await runPipeline(ctx, await writeTrapFixture({ 'olist_sellers_dataset.csv': sellers }));
    const file = summary.files.find((f) => f.file === 'olist_sellers_dataset.csv')!;
    assert.deepEqual([file.rowsRead, file.rowsLoaded, file.rowsRejected], [2, 1, 1]);
    const { rows } = await ctx.db.pool.query(
      "select line::int, column_name, value, reason from audit.rejected_rows where run_id = $1 and source = 'sellers'", [summary.runId]);
    assert.deepEqual(rows, [{ line: 3, column_name: 'seller_city', value: 'sao\\0paulo', reason: 'contains a NUL character' }]);
  });

  test('a concurrent run is refused with a clear message', async () => {
    await withWarehouseLock(ctx.db.pool, async () => {
      const other = await openContext(db.config(), quietLogger());
      try {
        await assert.rejects(runPipeline(other, dataDir), (err: Error) => err instanceof LockedError && /another olist job holds the warehouse lock/.test(err.message));
      } finally {
        await other.db.close();
      }
    });
  });
});
