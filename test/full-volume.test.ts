import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { missingSourceFiles } from '../src/ingest/ingest.ts';
import type { Context } from '../src/pipeline/context.ts';
import { runPipeline, type RunSummary } from '../src/pipeline/run.ts';
import { openTestWarehouse, REAL_DATA_DIR } from './helpers/db.ts';
import { independentFigures, type IndependentFigures } from './helpers/independent.ts';

/**
 * The full pipeline at full volume, on the real Kaggle files and on a generated scale-1 dataset.
 * Every asserted figure is computed a second time straight from the CSVs (test/helpers/independent.ts).
 */
function fullVolumeSuite(label: string, dataDir: () => Promise<string | undefined>, expectRejected: (f: IndependentFigures) => number) {
  describe(`full volume: ${label}`, () => {
    let close: (() => Promise<void>) | undefined;
    let ctx: Context;
    let dir: string | undefined;
    let summary: RunSummary;
    let expected: IndependentFigures;

    before(async () => {
      dir = await dataDir();
      if (!dir) return;
      ({ ctx, close } = await openTestWarehouse(label));
      [summary, expected] = await Promise.all([runPipeline(ctx, dir), independentFigures(dir)]);
    });
    after(async () => {
      await close?.();
    });

    const q = async <T extends Record<string, unknown>>(sql: string) => (await ctx.db.pool.query<T>(sql)).rows[0]!;

    test('every record is read, and read = loaded + rejected', (t) => {
      if (!dir) return t.skip('data not available');
      for (const f of summary.files) {
        assert.equal(f.rowsRead, expected.records[f.file], f.file);
        assert.equal(f.rowsRead, f.rowsLoaded + f.rowsRejected, f.file);
      }
      assert.equal(summary.files.reduce((s, f) => s + f.rowsRejected, 0), expectRejected(expected));
    });

    test('star schema row counts', async (t) => {
      if (!dir) return t.skip('data not available');
      const counts = await q<Record<string, string>>(`select
        (select count(*) from warehouse.orders_fact) as items,
        (select count(*) from warehouse.order_fulfillment_fact) as orders,
        (select count(*) from warehouse.customers_dim) as customers,
        (select count(distinct customer_unique_id) from warehouse.customers_dim) as persons,
        (select count(*) from warehouse.products_dim) as products,
        (select count(*) from warehouse.sellers_dim) as sellers,
        (select count(*) from warehouse.time_dim where date between '2016-01-01' and '2018-12-31') as days`);
      assert.deepEqual(
        Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])),
        {
          items: expected.items, orders: expected.orders,
          customers: expected.records['olist_customers_dataset.csv'], persons: expected.distinctCustomers,
          products: expected.records['olist_products_dataset.csv'], sellers: expected.records['olist_sellers_dataset.csv'],
          days: 1096,
        },
      );
    });

    test('revenue marts agree with the CSVs to the cent', async (t) => {
      if (!dir) return t.skip('data not available');
      const daily = await q<{ orders: string; items: string; gmv: string }>('select sum(orders) orders, sum(items) items, sum(gmv) gmv from marts.daily_revenue');
      assert.equal(Number(daily.orders), expected.revenueOrders);
      assert.equal(Number(daily.items), expected.revenueItems);
      assert.equal(Math.round(Number(daily.gmv) * 100), expected.gmvCents);
      const monthly = await q<{ gmv: string }>('select sum(gmv) gmv from marts.monthly_revenue');
      assert.equal(Math.round(Number(monthly.gmv) * 100), expected.gmvCents);
    });

    test('orders by state and delivered orders agree with the CSVs', async (t) => {
      if (!dir) return t.skip('data not available');
      const { rows } = await ctx.db.pool.query<{ state: string; orders: number }>('select state, orders from marts.orders_by_state');
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.state, Number(r.orders)])), expected.ordersByState);
      const region = await q<{ orders: string }>('select sum(orders) orders from marts.orders_by_region');
      assert.equal(Number(region.orders), expected.orders);
      const delivered = await q<{ n: string }>('select sum(delivered_orders) n from marts.delivery_times_monthly');
      assert.equal(Number(delivered.n), expected.deliveredWithDate);
    });
  });
}

fullVolumeSuite(
  'real Kaggle files',
  async () => (missingSourceFiles(REAL_DATA_DIR).length === 0 ? REAL_DATA_DIR : undefined),
  // The reviews record with a bare quote (review 45caf5a1..., line 81,468) is the only reject.
  () => 1,
);

fullVolumeSuite(
  'generated scale 1',
  async () => {
    if (!existsSync(new URL('../src/generate/generate.ts', import.meta.url))) return undefined;
    const { generateDataset } = await import('../src/generate/generate.ts');
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-gen-scale1-'));
    await generateDataset({ scale: 1, seed: 7, outDir: out });
    return out;
  },
  () => 0,
);
