/**
 * Dimension history (type 2, docs/data-model.md#history): on the trap fixture, corrections sent as
 * feed batches version the sellers and products, the person dimension follows a person's
 * addresses, facts point to the version valid at the purchase, and the in-place updates equal a
 * rebuild. On the feed fixture, the simulator's corrections replay to the same versions as a rebuild.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Context } from '../src/pipeline/context.ts';
import { incrementalStep, simulateStep } from '../src/pipeline/feed.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { audited, checkStep } from '../src/pipeline/steps.ts';
import { startRun } from '../src/audit/runs.ts';
import { runQualityGate } from '../src/quality/gate.ts';
import { verifyStep } from '../src/pipeline/verify.ts';
import { writeFeedFixture } from './fixtures/feed.ts';
import { D1, E1, HISTORY_CUSTOMERS, SELLERS_HEADER, sendCorrection as applyCorrection } from './fixtures/history.ts';
import { TRAP_FILES, writeTrapFixture } from './fixtures/traps.ts';
import { openTestWarehouse, type TestWarehouse } from './helpers/db.ts';

const B1 = 'b0000000000000000000000000000001';
const B2 = 'b0000000000000000000000000000002';
const CUSTOMERS = HISTORY_CUSTOMERS;

const PRODUCTS_HEADER = '"product_id","product_category_name","product_name_lenght","product_description_lenght","product_photos_qty","product_weight_g","product_length_cm","product_height_cm","product_width_cm","product_effective_from"';

describe('dimension history: corrections through the feed, point-in-time facts', () => {
  let wh: TestWarehouse;
  let ctx: Context;
  let landingDir: string;
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await ctx.db.pool.query(sql, params)).rows as T[];

  const sendCorrection = (name: string, files: Record<string, string[]>) => applyCorrection(ctx, landingDir, name, files);

  const sellerVersions = () => q<{ version: number; valid_from: string; valid_to: string | null; is_current: boolean; state: string; seller_key: string }>(
    `select version, to_char(valid_from, 'YYYY-MM-DD HH24:MI') as valid_from, to_char(valid_to, 'YYYY-MM-DD HH24:MI') as valid_to, is_current, state, seller_key::text
       from warehouse.sellers_dim where seller_id = $1 order by version`, [E1]);
  /** The seller state each of e1's sales points to (through the fact's seller_key). */
  const saleStates = () => q<{ sale: string; state: string }>(
    `select f.order_id || '/' || f.order_item_id as sale, s.state from warehouse.orders_fact f join warehouse.sellers_dim s using (seller_key)
      where s.seller_id = $1 order by f.purchased_at, f.order_item_id`, [E1]);
  const gmvByState = (mart: string) => q<{ seller_state: string; gmv: string }>(`select seller_state, gmv::text from marts.${mart} order by seller_state`);

  before(async () => {
    wh = await openTestWarehouse('history');
    ctx = wh.ctx;
    landingDir = await fs.mkdtemp(path.join(tmpdir(), 'olist-landing-history-'));
    await runPipeline(ctx, await writeTrapFixture({ 'olist_customers_dataset.csv': CUSTOMERS }));
  });
  after(async () => {
    await wh?.close();
    rmSync(landingDir, { recursive: true, force: true });
  });

  test('a full load has one version per seller and product, valid since the beginning and current', async () => {
    assert.deepEqual(await q('select count(*)::int as n, count(*) filter (where version = 1 and is_current and valid_to is null)::int as v1 from warehouse.sellers_dim'), [{ n: 2, v1: 2 }]);
    assert.deepEqual(await q('select count(*)::int as n, count(*) filter (where version = 1 and is_current and valid_to is null)::int as v1 from warehouse.products_dim'), [{ n: 3, v1: 3 }]);
    assert.deepEqual(await q(`select min(valid_from)::text as f, max(valid_from)::text as l from warehouse.sellers_dim`), [{ f: '1900-01-01 00:00:00', l: '1900-01-01 00:00:00' }]);
  });

  test('a person with three addresses has three address periods, and each order points to the one of its time', async () => {
    const periods = await q(
      `select version, valid_from::text, valid_to::text, is_current, state, orders from warehouse.people_dim where customer_unique_id = $1 order by version`, [D1]);
    assert.deepEqual(periods, [
      { version: 1, valid_from: '2017-01-05 10:00:00', valid_to: '2017-01-05 22:30:00', is_current: false, state: 'SP', orders: 1 },
      { version: 2, valid_from: '2017-01-05 22:30:00', valid_to: '2017-01-06 15:00:00', is_current: false, state: 'RJ', orders: 1 },
      { version: 3, valid_from: '2017-01-06 15:00:00', valid_to: null, is_current: true, state: 'MG', orders: 1 },
    ]);
    const orders = await q(
      `select o.order_id, p.version, p.state from warehouse.order_fulfillment_fact o join warehouse.people_dim p using (person_key)
        where p.customer_unique_id = $1 order by o.purchased_at`, [D1]);
    assert.deepEqual(orders, [
      { order_id: 'a0000000000000000000000000000001', version: 1, state: 'SP' },
      { order_id: 'a0000000000000000000000000000002', version: 2, state: 'RJ' },
      { order_id: 'a0000000000000000000000000000005', version: 3, state: 'MG' },
    ]);
  });

  test('a seller moving between two sales: each sale is attributed to the state of its time', async () => {
    assert.deepEqual(await saleStates(), [
      { sale: 'a0000000000000000000000000000001/1', state: 'MG' },
      { sale: 'a0000000000000000000000000000003/1', state: 'MG' },
      { sale: 'a0000000000000000000000000000005/1', state: 'MG' },
    ]);
    // e1 moves from Belo Horizonte to Rio on 2017-01-06: a1 was sold before, a3 and a5 after
    await sendCorrection('seller-move', { 'olist_sellers_dataset.csv': [SELLERS_HEADER, `${E1},"20000",rio de janeiro,RJ,2017-01-06 00:00:00`] });
    assert.deepEqual(await sellerVersions(), [
      { version: 1, valid_from: '1900-01-01 00:00', valid_to: '2017-01-06 00:00', is_current: false, state: 'MG', seller_key: (await sellerVersions())[0]!.seller_key },
      { version: 2, valid_from: '2017-01-06 00:00', valid_to: null, is_current: true, state: 'RJ', seller_key: (await sellerVersions())[1]!.seller_key },
    ]);
    assert.deepEqual(await saleStates(), [
      { sale: 'a0000000000000000000000000000001/1', state: 'MG' },
      { sale: 'a0000000000000000000000000000003/1', state: 'RJ' },
      { sale: 'a0000000000000000000000000000005/1', state: 'RJ' },
    ]);
    // revenue (a3 is canceled): a1 110.00 stays in MG at the time of the sale; today all of it is in RJ
    assert.deepEqual(await gmvByState('revenue_by_seller_state'), [{ seller_state: 'MG', gmv: '110.00' }, { seller_state: 'RJ', gmv: '220.00' }, { seller_state: 'SP', gmv: '92.75' }]);
    assert.deepEqual(await gmvByState('revenue_by_seller_state_as_of_today'), [{ seller_state: 'RJ', gmv: '330.00' }, { seller_state: 'SP', gmv: '92.75' }]);
    // the current state is the new one in raw and in the seller mart
    assert.deepEqual(await q('select seller_state from raw.sellers where seller_id = $1', [E1]), [{ seller_state: 'RJ' }]);
    assert.deepEqual(await q('select seller_state from marts.seller_performance where seller_id = $1', [E1]), [{ seller_state: 'RJ' }]);
  });

  test('a late correction (effective before a version already recorded) splits the history before it', async () => {
    const [, moved] = await sellerVersions();
    // received after the move, effective on 2017-01-05 05:00: e1 was in Sao Paulo from then until the move
    await sendCorrection('seller-late', { 'olist_sellers_dataset.csv': [SELLERS_HEADER, `${E1},"01001",sao paulo,SP,2017-01-05 05:00:00`] });
    const versions = await sellerVersions();
    assert.deepEqual(versions.map(({ seller_key: _, ...v }) => v), [
      { version: 1, valid_from: '1900-01-01 00:00', valid_to: '2017-01-05 05:00', is_current: false, state: 'MG' },
      { version: 2, valid_from: '2017-01-05 05:00', valid_to: '2017-01-06 00:00', is_current: false, state: 'SP' },
      { version: 3, valid_from: '2017-01-06 00:00', valid_to: null, is_current: true, state: 'RJ' },
    ]);
    assert.equal(versions[2]!.seller_key, moved!.seller_key, 'the version after the split keeps its surrogate key');
    assert.deepEqual((await saleStates()).map((s) => s.state), ['SP', 'RJ', 'RJ']);
    assert.deepEqual(await gmvByState('revenue_by_seller_state'), [{ seller_state: 'RJ', gmv: '220.00' }, { seller_state: 'SP', gmv: '202.75' }]);
    // the current state does not go back: the late version is history only
    assert.deepEqual(await q('select seller_state from raw.sellers where seller_id = $1', [E1]), [{ seller_state: 'RJ' }]);
    assert.deepEqual(await q('select count(*)::int as n from raw.sellers_versions where seller_id = $1', [E1]), [{ n: 3 }]);
  });

  test('type 1 columns overwrite every version without adding one; a category is type 2', async () => {
    await sendCorrection('products', {
      'olist_products_dataset.csv': [
        PRODUCTS_HEADER,
        // b1: weight corrected from 225 g (type 1); b2 gets a category from 2017-01-06 (type 2)
        `${B1},perfumaria,40,287,1,250,16,10,14,2017-01-06 00:00:00`,
        `${B2},perfumaria,,,,300,20,10,10,2017-01-06 00:00:00`,
      ],
    });
    assert.deepEqual(await q(`select version, category_name, weight_g, is_current from warehouse.products_dim where product_id = $1`, [B1]), [
      { version: 1, category_name: 'perfumaria', weight_g: 250, is_current: true },
    ]);
    assert.deepEqual(await q(`select version, category_name, weight_g, valid_to::text from warehouse.products_dim where product_id = $1 order by version`, [B2]), [
      { version: 1, category_name: 'unknown', weight_g: 300, valid_to: '2017-01-06 00:00:00' },
      { version: 2, category_name: 'perfumaria', weight_g: 300, valid_to: null },
    ]);
    // b2 was sold once, on 2017-01-05 (a2): its revenue stays under 'unknown' at the time of the sale
    assert.deepEqual(await q(`select category_name, gmv::text from marts.revenue_by_category order by category_name`), [
      { category_name: 'pc_gamer', gmv: '55.75' }, { category_name: 'perfumaria', gmv: '330.00' }, { category_name: 'unknown', gmv: '37.00' },
    ]);
  });

  test('a type 1 correction received later but dated before an existing version still overwrites every version', async () => {
    // b2 has two versions (unknown until 2017-01-06, then perfumaria); a weight fix arrives now, dated
    // 2017-01-03 (same category as then: no new version): the latest received wins, not the latest dated
    await sendCorrection('products-late-weight', {
      'olist_products_dataset.csv': [PRODUCTS_HEADER, `${B2},,,,,320,20,10,10,2017-01-03 00:00:00`],
    });
    assert.deepEqual(await q(`select version, category_name, weight_g, valid_to::text from warehouse.products_dim where product_id = $1 order by version`, [B2]), [
      { version: 1, category_name: 'unknown', weight_g: 320, valid_to: '2017-01-06 00:00:00' },
      { version: 2, category_name: 'perfumaria', weight_g: 320, valid_to: null },
    ]);
    // the history records the arrival: the file's version first (0), then each batch in the order applied
    const arrivals = await q<{ effective: string | null; arrival: number }>(
      `select product_effective_from::text as effective, _arrival::int as arrival from raw.products_versions where product_id = $1 order by product_effective_from nulls first`, [B2]);
    assert.deepEqual(arrivals.map((a) => a.effective), [null, '2017-01-03 00:00:00', '2017-01-06 00:00:00']);
    assert.ok(arrivals[0]!.arrival === 0 && arrivals[2]!.arrival > 0 && arrivals[1]!.arrival > arrivals[2]!.arrival, JSON.stringify(arrivals));
  });

  test('the type 2 invariants are checked by the gate, and the in-place history equals a rebuild from the same batches', async () => {
    const checks = await q<{ check_name: string; status: string }>(
      `select distinct on (check_name) check_name, status from audit.quality_results
        where check_name like '%.history.%' or check_name like '%version_at_purchase' order by check_name, run_id desc`);
    assert.deepEqual(checks.map((c) => c.check_name), [
      'order_fulfillment_fact.person_version_at_purchase', 'orders_fact.person_version_at_purchase', 'orders_fact.product_version_at_purchase',
      'orders_fact.seller_version_at_purchase', 'people_dim.history.no_overlap', 'people_dim.history.one_current',
      'products_dim.history.no_overlap', 'products_dim.history.one_current', 'sellers_dim.history.no_overlap', 'sellers_dim.history.one_current',
    ]);
    assert.ok(checks.every((c) => c.status === 'pass'), JSON.stringify(checks));
    const { result } = await audited(ctx, 'verify', null, (runId) => verifyStep(ctx, runId));
    assert.deepEqual(result.tables.filter((t) => !t.equal).map((t) => t.table), []);
    assert.ok(result.tables.some((t) => t.table === 'warehouse.sellers_dim' && t.publishedRows === 4));
  });

  test("a feed batch's history checks look at the keys it touched: the sales it wrote and the sales of the dimension keys it rewrote", async () => {
    const client = await ctx.db.pool.connect();
    try {
      await client.query('begin');
      // one of e1's sales pointed to a version of e1 not valid at its purchase (as a faulty update would leave it)
      const sale = (await client.query<{ order_id: string }>(
        `with first as (select f.order_id, f.order_item_id from warehouse.orders_fact f join warehouse.sellers_dim s using (seller_key)
                         where s.seller_id = $1 order by f.purchased_at, f.order_item_id limit 1)
         update warehouse.orders_fact f set seller_key = (select s.seller_key from warehouse.sellers_dim s
                  where s.seller_id = $1 and not (f.purchased_at >= s.valid_from and (s.valid_to is null or f.purchased_at < s.valid_to)) order by s.version limit 1)
           from first where (f.order_id, f.order_item_id) = (first.order_id, first.order_item_id) returning f.order_id`, [E1])).rows[0]!.order_id;
      // and e1's first version made current again: two current versions
      assert.equal((await client.query(`update warehouse.sellers_dim set is_current = true where seller_id = $1 and version = 1`, [E1])).rowCount, 1);
      const other = (await client.query<{ order_id: string; seller_id: string }>(
        `select f.order_id, s.seller_id from warehouse.orders_fact f join warehouse.sellers_dim s using (seller_key) where s.seller_id <> $1 and f.order_id <> $2 order by 1 limit 1`, [E1, sale])).rows[0]!;
      await client.query('create temp table touched_sales (order_id text) on commit drop; create temp table touched_sellers (seller_id text) on commit drop');
      const gate = async (order: string, seller: string | null): Promise<Map<string, { status: string; failingRows: number; note?: string }>> => {
        await client.query('truncate touched_sales; truncate touched_sellers');
        await client.query('insert into touched_sales values ($1)', [order]);
        if (seller) await client.query('insert into touched_sellers values ($1)', [seller]);
        const touched = new Map([['orders_fact', { table: 'pg_temp.touched_sales', columns: ['order_id'] }]]);
        if (seller) touched.set('sellers_dim', { table: 'pg_temp.touched_sellers', columns: ['seller_id'] });
        const out = await runQualityGate(ctx.db.pool, {
          runId: await startRun(ctx.db.pool, 'test scoped history', null), staged: false, client, incremental: true, log: ctx.log,
          targets: new Set(['orders_fact', ...(seller ? ['sellers_dim'] : [])]), touched,
        });
        return new Map(out.results.map((r) => [r.name, r]));
      };
      // the batch wrote the misplaced sale: found there
      const wrote = await gate(sale, null);
      assert.equal(wrote.get('orders_fact.seller_version_at_purchase')!.status, 'fail');
      assert.equal(wrote.get('orders_fact.seller_version_at_purchase')!.failingRows, 1);
      assert.match(wrote.get('orders_fact.seller_version_at_purchase')!.note!, /rows this batch touched/);
      // the batch rewrote e1's versions but not the sale: found through the seller it rewrote, with e1's two current versions
      const rewrote = await gate(other.order_id, E1);
      assert.equal(rewrote.get('orders_fact.seller_version_at_purchase')!.status, 'fail');
      assert.equal(rewrote.get('sellers_dim.history.one_current')!.status, 'fail');
      assert.match(rewrote.get('sellers_dim.history.one_current')!.note!, /rows this batch touched/);
      // a batch that touched neither the sale nor e1 does not look at them: they passed the last gate
      const elsewhere = await gate(other.order_id, other.seller_id);
      assert.equal(elsewhere.get('orders_fact.seller_version_at_purchase')!.status, 'pass');
      assert.equal(elsewhere.get('sellers_dim.history.one_current')!.status, 'pass');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  test('the gate fails when a history breaks an invariant (two current versions of one seller)', async () => {
    // two current versions of one seller, as a broken in-place update would leave them
    await ctx.db.pool.query(`update warehouse.sellers_dim set is_current = true where seller_id = $1 and version = 1`, [E1]);
    const outcome = await audited(ctx, 'check', null, (runId) => checkStep(ctx, runId, false));
    assert.equal(outcome.result.passed, false);
    assert.ok(outcome.result.failedErrors.some((e: string) => e.startsWith('sellers_dim.history.one_current')), outcome.result.failedErrors.join('; '));
  });

  test('the gate fails on an overlapping validity range, a sale pointing to a version not valid at its purchase, and an order pointing to no version', async () => {
    // e1's first version stretched a day into the next one: two versions valid at once
    const stretched = await ctx.db.pool.query(`update warehouse.sellers_dim set valid_to = valid_to + interval '1 day' where seller_id = $1 and version = 1`, [E1]);
    assert.equal(stretched.rowCount, 1);
    // one of e1's sales pointed to a version of e1 not valid at its purchase time
    const misplaced = await ctx.db.pool.query(
      `update warehouse.orders_fact f set seller_key = (select s.seller_key from warehouse.sellers_dim s
          where s.seller_id = $1 and not (f.purchased_at >= s.valid_from and (s.valid_to is null or f.purchased_at < s.valid_to)) order by s.version limit 1)
        where (f.order_id, f.order_item_id) = (select f2.order_id, f2.order_item_id from warehouse.orders_fact f2 join warehouse.sellers_dim s2 using (seller_key)
          where s2.seller_id = $1 order by f2.purchased_at, f2.order_item_id limit 1)`, [E1]);
    assert.equal(misplaced.rowCount, 1);
    // an order whose person key is lost: it points to no address period at all
    const orphan = await ctx.db.pool.query(
      `update warehouse.order_fulfillment_fact set person_key = null where order_id = (select min(order_id) from warehouse.order_fulfillment_fact where purchased_at is not null)`);
    assert.equal(orphan.rowCount, 1);
    const outcome = await audited(ctx, 'check', null, (runId) => checkStep(ctx, runId, false));
    assert.equal(outcome.result.passed, false);
    for (const name of ['sellers_dim.history.no_overlap', 'orders_fact.seller_version_at_purchase', 'order_fulfillment_fact.person_version_at_purchase']) {
      assert.ok(outcome.result.failedErrors.some((e: string) => e.startsWith(name)), `${name} not failed: ${outcome.result.failedErrors.join('; ')}`);
    }
  });
});

describe('dimension history: the simulator\'s corrections replay to the versions a rebuild gives', () => {
  let wh: TestWarehouse;
  let landingDir: string;
  let dataDir: string;

  before(async () => {
    wh = await openTestWarehouse('history_feed');
    dataDir = await writeFeedFixture();
    landingDir = await fs.mkdtemp(path.join(tmpdir(), 'olist-landing-history-feed-'));
  });
  after(async () => {
    await wh?.close();
    rmSync(landingDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('corrections are sent, versions open and close batch by batch, and equal a rebuild from the same raw history', async () => {
    const ctx = wh.ctx;
    const sim = await simulateStep(ctx, { dataDir, landingDir, granularity: 'day', seed: 3, faults: [], corrections: { sellerMoves: 2, lateOfMoves: 2, categories: 1, weights: 3 } });
    assert.ok(sim.corrections >= 3, `corrections sent: ${sim.corrections}`);
    const { result } = await audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir }));
    assert.equal(result.pending.length, 0);
    const q = async (sql: string) => (await ctx.db.pool.query(sql)).rows;
    const [history] = await q(`select
        (select count(*)::int from warehouse.sellers_dim where version = 2) as sellers_moved,
        (select count(*)::int from warehouse.sellers_dim where version = 3) as sellers_split_late,
        (select count(*)::int from warehouse.products_dim where version = 2) as products_recategorised,
        (select count(*)::int from raw.products_versions v join raw.products p using (product_id) where v.product_weight_g <> p.product_weight_g) as weights_corrected`);
    assert.ok(history.sellers_moved >= 1 && history.sellers_split_late >= 1 && history.products_recategorised >= 1 && history.weights_corrected >= 1, JSON.stringify(history));
    const { result: verify } = await audited(ctx, 'verify', null, (runId) => verifyStep(ctx, runId));
    assert.deepEqual(verify.tables.filter((t) => !t.equal).map((t) => t.table), []);
  });
});

describe('dimension history: orders of one person at the same purchase time', () => {
  let wh: TestWarehouse;
  const D3 = 'd0000000000000000000000000000003';
  before(async () => {
    wh = await openTestWarehouse('history_ties');
    // the person d3 orders twice at the same instant, from RJ (c3, order a3) and from AM (c4, order a4)
    const customers = TRAP_FILES['olist_customers_dataset.csv']!
      .replace('c0000000000000000000000000000004,d0000000000000000000000000000004,', 'c0000000000000000000000000000004,d0000000000000000000000000000003,');
    const orders = TRAP_FILES['olist_orders_dataset.csv']!
      .replace('a0000000000000000000000000000004,c0000000000000000000000000000004,unavailable,2017-01-06 09:00:00,2017-01-06 09:05:00', 'a0000000000000000000000000000004,c0000000000000000000000000000004,unavailable,2017-01-06 08:00:00,2017-01-06 09:05:00');
    assert.notEqual(customers, TRAP_FILES['olist_customers_dataset.csv']);
    assert.notEqual(orders, TRAP_FILES['olist_orders_dataset.csv']);
    await runPipeline(wh.ctx, await writeTrapFixture({ 'olist_customers_dataset.csv': customers, 'olist_orders_dataset.csv': orders }));
  });
  after(async () => { await wh?.close(); });

  test('they are one moment: one period with the address of the greatest customer_id, no zero-length period, both orders in it', async () => {
    const q = async (sql: string, params: unknown[] = []) => (await wh.ctx.db.pool.query(sql, params)).rows;
    assert.deepEqual(await q(
      `select version, valid_from::text, valid_to::text, is_current, state, orders from warehouse.people_dim where customer_unique_id = $1 order by version`, [D3]), [
      { version: 1, valid_from: '2017-01-06 08:00:00', valid_to: null, is_current: true, state: 'AM', orders: 2 },
    ]);
    assert.deepEqual(await q(
      `select o.order_id, p.version from warehouse.order_fulfillment_fact o join warehouse.people_dim p using (person_key)
        where p.customer_unique_id = $1 order by o.order_id`, [D3]), [
      { order_id: 'a0000000000000000000000000000003', version: 1 },
      { order_id: 'a0000000000000000000000000000004', version: 1 },
    ]);
    // the order keeps its own address in the order-level customer dimension
    assert.deepEqual(await q(`select customer_id, state from warehouse.customers_dim where customer_unique_id = $1 order by customer_id`, [D3]), [
      { customer_id: 'c0000000000000000000000000000003', state: 'RJ' },
      { customer_id: 'c0000000000000000000000000000004', state: 'AM' },
    ]);
    const checks = await q(`select distinct on (check_name) check_name, status from audit.quality_results
      where check_name like 'people_dim.history.%' or check_name like '%person_version_at_purchase' order by check_name, run_id desc`);
    assert.equal(checks.length, 4);
    assert.ok(checks.every((c) => c.status === 'pass'), JSON.stringify(checks));
  });
});
