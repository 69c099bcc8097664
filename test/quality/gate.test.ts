import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRun } from '../../src/audit/runs.ts';
import type { Context } from '../../src/pipeline/context.ts';
import { createProgress } from '../../src/pipeline/progress.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { GateFailedError, ingestStep, transformStep } from '../../src/pipeline/steps.ts';
import { runQualityGate } from '../../src/quality/gate.ts';
import type { CheckResult, GateOutcome } from '../../src/quality/types.ts';
import { writeReport } from '../../src/report/report.ts';
import { openTestWarehouse, quietLogger } from '../helpers/db.ts';
import { baseDataset, id, PLANTED_ERRORS, PLANTED_WARNINGS, violatingDataset, writeDataset } from './fixture.ts';

/** md5 of every row of every published warehouse and mart table: proves a refused publish changed nothing. */
async function publishedFingerprint(ctx: Context): Promise<Record<string, string>> {
  const { rows } = await ctx.db.pool.query<{ s: string; t: string }>(
    "select table_schema as s, table_name as t from information_schema.tables where table_schema in ('raw', 'staging', 'warehouse', 'marts') and table_type = 'BASE TABLE' order by 1, 2",
  );
  const out: Record<string, string> = {};
  for (const { s, t } of rows) {
    const r = await ctx.db.pool.query<{ h: string }>(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${s}.${t} x`);
    out[`${s}.${t}`] = r.rows[0]!.h;
  }
  return out;
}

const byName = (results: CheckResult[]) => new Map(results.map((r) => [r.name, r]));
const nonPassing = (results: CheckResult[], status: 'warn' | 'fail') =>
  Object.fromEntries(results.filter((r) => r.status === status).map((r) => [r.name, r.failingRows]));

async function storedResults(ctx: Context, runId: number): Promise<Map<string, { status: string; failing_rows: string; sample_keys: string[] }>> {
  const { rows } = await ctx.db.pool.query('select check_name, status, failing_rows, sample_keys from audit.quality_results where run_id = $1', [runId]);
  return new Map(rows.map((r) => [r.check_name, r]));
}

describe('quality gate on planted fixtures', () => {
  let close: (() => Promise<void>) | undefined;
  let ctx: Context;
  let clean: string;

  before(async () => {
    ({ ctx, close } = await openTestWarehouse('quality_gate'));
    clean = await writeDataset(baseDataset());
  });
  after(async () => {
    await close?.();
  });

  let firstRunId = 0;

  test('clean data with known issues: passes, publishes, and reports each planted issue as a warning with its exact count', async () => {
    const summary = await runPipeline(ctx, clean);
    firstRunId = summary.runId;
    assert.equal(summary.gate.passed, true);
    assert.deepEqual(summary.layers, ['raw', 'staging', 'warehouse', 'marts']);
    const stored = await storedResults(ctx, summary.runId);
    const warned = Object.fromEntries([...stored].filter(([, r]) => r.status === 'warn').map(([k, r]) => [k, Number(r.failing_rows)]));
    assert.deepEqual(warned, PLANTED_WARNINGS);
    assert.equal([...stored.values()].filter((r) => r.status === 'fail').length, 0);
    // samples name the failing keys
    assert.deepEqual(stored.get('stg_orders.delivered_without_date')!.sample_keys, [id('a', 2)]);
    assert.deepEqual(stored.get('customers_dim.without_geolocation')!.sample_keys, [id('c', 6)]);
    assert.deepEqual(stored.get('raw.order_reviews.primary_key')!.sample_keys, [`${id('f', 1)}|${id('a', 1)} (2 rows)`]);
    assert.equal(stored.get('order_fulfillment_fact.payments_match_items')!.sample_keys[0], id('a', 2));
    // the two rejected rows are accounted for: read = loaded + rejected
    const files = Object.fromEntries(summary.files.map((f) => [f.file, [f.rowsRead, f.rowsLoaded, f.rowsRejected]]));
    assert.deepEqual(files['olist_order_payments_dataset.csv'], [9, 8, 1]);
    assert.deepEqual(files['olist_order_reviews_dataset.csv'], [8, 7, 1]);
    assert.equal(stored.get('raw.order_reviews.reconcile.file_load')!.status, 'pass');
    // with no history, volume passes and says so
    const gate = await ctx.db.pool.query("select note from audit.quality_results where run_id = $1 and check_name = 'raw.orders.volume'", [summary.runId]);
    assert.match(gate.rows[0].note, /not enough history \(0 previous/);
  });

  test('an error-level failure refuses the publish and leaves the published data unchanged', async () => {
    const before = await publishedFingerprint(ctx);
    assert.ok(Object.keys(before).length > 30);
    const bad = await writeDataset(violatingDataset());
    await assert.rejects(runPipeline(ctx, bad), (err: Error) => {
      assert.ok(err instanceof GateFailedError, err.message);
      for (const name of Object.keys(PLANTED_ERRORS)) assert.match(err.message, new RegExp(name.replaceAll('.', '\\.')));
      return true;
    });
    assert.deepEqual(await publishedFingerprint(ctx), before);
    const { rows } = await ctx.db.pool.query("select run_id, status from audit.runs where command = 'run' order by run_id desc limit 1");
    assert.equal(rows[0].status, 'failed');
    const stored = await storedResults(ctx, Number(rows[0].run_id));
    const failed = Object.fromEntries([...stored].filter(([, r]) => r.status === 'fail').map(([k, r]) => [k, Number(r.failing_rows)]));
    assert.deepEqual(failed, PLANTED_ERRORS);
    assert.deepEqual(stored.get('raw.order_items.relationships.order_id_orders')!.sample_keys, [`${id('a', 9)}|1 @line 9 -> ${id('a', 9)}`]);
    assert.deepEqual(stored.get('orders_fact.reconcile.items')!.sample_keys, ['orders_fact count(*) = 8, stg_order_items count(*) = 9']);
    // by order: the orphan item's order is missing from the order fact, and only it differs
    assert.deepEqual(stored.get('order_fulfillment_fact.reconcile.order_totals')!.sample_keys, [`${id('a', 9)}: missing vs 66.00`]);
    // the new item of order 8 also breaks its payment match: a second warning there, not hidden
    assert.equal(Number(stored.get('order_fulfillment_fact.payments_match_items')!.failing_rows), 2);
    // the published layer still answers the gate: check on published data passes
    const gate = await runQualityGate(ctx.db.pool, { runId: await startRun(ctx.db.pool, 'check', null), staged: false, log: quietLogger() });
    assert.equal(gate.passed, true);
  });

  test('volume: a load outside mean +- 3 sd of the previous successful loads warns (from the 4th load on)', async () => {
    await runPipeline(ctx, clean);
    const third = await runPipeline(ctx, clean);
    assert.equal(third.gate.passed, true);
    const history = await ctx.db.pool.query("select note from audit.quality_results where run_id = $1 and check_name = 'raw.sellers.volume'", [third.runId]);
    assert.match(history.rows[0].note, /not enough history \(2 previous successful loads/);
    // 3 successful loads of 2 sellers (the failed run does not count); now 5 sellers
    const d = baseDataset();
    d.sellers!.push([id('e', 3), '01001', 'sao paulo', 'SP'], [id('e', 4), '01001', 'sao paulo', 'SP'], [id('e', 5), '20000', 'rio de janeiro', 'RJ']);
    const more = await runPipeline(ctx, await writeDataset(d));
    assert.equal(more.gate.passed, true, 'volume is a warning: the run still publishes');
    const stored = await storedResults(ctx, more.runId);
    assert.equal(stored.get('raw.sellers.volume')!.status, 'warn');
    assert.equal(Number(stored.get('raw.sellers.volume')!.failing_rows), 1);
    assert.equal(stored.get('raw.orders.volume')!.status, 'pass');
    const note = await ctx.db.pool.query("select note, details from audit.quality_results where run_id = $1 and check_name = 'raw.sellers.volume'", [more.runId]);
    assert.match(note.rows[0].note, /loaded 5; previous 3 loads: mean 2\.0, sd 0\.0/);
  });

  test('freshness: the newest order may be at most 3 days older than the logical date', async () => {
    const check = async (logicalDate: string): Promise<CheckResult> => {
      const gate: GateOutcome = await runQualityGate(ctx.db.pool, { runId: await startRun(ctx.db.pool, 'check', null), staged: false, logicalDate, log: quietLogger() });
      return byName(gate.results).get('stg_orders.freshness')!;
    };
    // newest purchase: 2017-01-09
    assert.equal((await check('2017-01-12')).status, 'pass');
    const stale = await check('2017-01-13');
    assert.equal(stale.status, 'warn');
    assert.equal(stale.failingRows, 1);
    assert.match(stale.note!, /newest purchased_at 2017-01-09, logical date 2017-01-13 \(configured\), age 4 day/);
  });

  test('the report shows the verdict, every check, the run history and rejected rows by file and reason', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-report-'));
    const written = await writeReport(ctx.db.pool, { outDir: out });
    const json = JSON.parse(await fs.readFile(written.json, 'utf8'));
    const html = await fs.readFile(written.html, 'utf8');
    const { rows } = await ctx.db.pool.query('select max(run_id)::int as r from audit.quality_gates');
    assert.equal(json.gate.runId, rows[0].r);
    const stored = await storedResults(ctx, json.gate.runId);
    assert.equal(json.checks.length, stored.size);
    assert.equal(json.summary.warn, [...stored.values()].filter((r) => r.status === 'warn').length);
    // history: every gate so far, the refused run among them
    const gates = await ctx.db.pool.query('select run_id::int, passed from audit.quality_gates order by run_id');
    assert.deepEqual(json.history.map((h: { runId: number; passed: boolean }) => [h.runId, h.passed]), gates.rows.map((g) => [g.run_id, g.passed]));
    assert.ok(json.history.some((h: { passed: boolean }) => !h.passed));
    assert.ok(json.history.find((h: { runId: number }) => h.runId === firstRunId));
    // rejected rows of the last load, grouped by file and reason
    assert.deepEqual(
      json.load.rejected.map((g: { file: string; column: string; rows: number; firstLines: number[] }) => [g.file, g.column, g.rows, g.firstLines]),
      [['olist_order_payments_dataset.csv', 'payment_type', 1, [6]], ['olist_order_reviews_dataset.csv', 'review_score', 1, [9]]],
    );
    // self-contained and readable
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
    assert.match(html, /<svg/);
    assert.match(html, /All \d+ blocking checks passed/);
    assert.match(html, /Orders marked delivered have a delivery date\./);
    assert.match(html, /not one of credit_card, boleto, voucher, debit_card, not_defined/);
  });

  test('raw checks catch rows that bypass the ingest contract (exact counts, per column)', async () => {
    const runId = await startRun(ctx.db.pool, 'test tamper', clean);
    const progress = createProgress('silent');
    await ingestStep(ctx, runId, clean, progress);
    const q = (sql: string) => ctx.db.pool.query(sql);
    await q(`update raw_build.orders set order_status = 'lost' where order_id in ('${id('a', 1)}', '${id('a', 8)}')`);
    await q(`alter table raw_build.sellers alter column seller_city drop not null`);
    await q(`update raw_build.sellers set seller_city = null where seller_id = '${id('e', 1)}'`);
    await q(`update raw_build.order_items set price = -1 where order_id = '${id('a', 3)}'`);
    await q(`update raw_build.customers set customer_zip_code_prefix = '1234' where customer_id = '${id('c', 1)}'`);
    await q(`update raw_build.customers set customer_unique_id = 'XYZ' where customer_id = '${id('c', 2)}'`);
    await q(`insert into raw_build.category_translation values ('x', 'y', 99)`);
    await transformStep(ctx, runId, progress);
    // a second copy of a customer, after the ingest made the keys unique (and after the models
    // read them, whose own keys would refuse it)
    await q(`insert into raw_build.customers select * from raw_build.customers where customer_id = '${id('c', 3)}'`);
    // two more review rows: a second copy of one (same review and order) and a new review of an
    // order: the distinct (review, order) pairs grow by one, the rows by two
    const reviews = Number((await q('select count(*) as n from staging_build.stg_order_reviews')).rows[0].n);
    await q(`insert into raw_build.order_reviews select * from (select * from raw_build.order_reviews order by review_id, order_id limit 1) r
             union all select md5('a new review'), order_id, review_score, review_comment_title, review_comment_message, review_creation_date, review_answer_timestamp, _line
               from (select * from raw_build.order_reviews order by review_id, order_id limit 1) r`);
    const gate = await runQualityGate(ctx.db.pool, { runId, staged: true, log: quietLogger() });
    const r = byName(gate.results);
    assert.equal(gate.passed, false);
    assert.deepEqual(nonPassing(gate.results, 'fail'), {
      'raw.customers.primary_key': 1,
      'raw.customers.reconcile.file_load': 1,
      'raw.orders.accepted_values': 2,
      'raw.sellers.not_null': 1,
      'raw.order_items.range': 1,
      'raw.customers.format': 2,
      'raw.category_translation.reconcile.file_load': 1,
      // the last published load (volume test above) had 5 sellers; 2 is less than half of it
      'raw.sellers.volume_collapse': 1,
      'stg_order_items.range.price': 1,
      'orders_fact.range.price': 1,
      // the staged customers are the file's, one fewer than the tampered raw table
      'stg_customers.reconcile.raw': 1,
      'raw.order_reviews.reconcile.file_load': 2,
      'stg_order_reviews.reconcile.raw': 1,
    });
    assert.deepEqual(r.get('stg_order_reviews.reconcile.raw')!.sample, [`stg_order_reviews count(*) = ${reviews}, order_reviews count(distinct (review_id, order_id)) = ${reviews + 1}`]);
    assert.deepEqual(r.get('raw.customers.format')!.details, { byColumn: { customer_unique_id: 1, customer_zip_code_prefix: 1 } });
    // the ingest's deduplication is not proved again: only the keys of rows written or changed since are looked at
    assert.deepEqual(r.get('raw.customers.primary_key')!.sample, [`${id('c', 3)} (2 rows)`]);
    assert.match(r.get('raw.customers.primary_key')!.note!, /the keys of the 3 rows written or changed since, checked here/);
    assert.match(r.get('raw.orders.primary_key')!.note!, /the keys of the 2 rows written or changed since, checked here/);
    assert.equal(r.get('raw.orders.primary_key')!.status, 'pass');
    assert.deepEqual(r.get('raw.orders.accepted_values')!.sample, [`${id('a', 1)} @line 2`, `${id('a', 8)} @line 9`]);
    assert.deepEqual(r.get('raw.category_translation.reconcile.file_load')!.sample, ['raw has 3 rows, the load recorded 2']);
    // the customer whose prefix was broken no longer finds coordinates: one more warning, counted
    assert.equal(r.get('customers_dim.without_geolocation')!.failingRows, 2);
  });
  test("a feed batch's scoped checks: error rules look at the touched rows (and fail there); reconciliations at the whole table", async () => {
    const client = await ctx.db.pool.connect();
    try {
      await client.query('begin');
      // order 3's items broken, and an item of order 5 lost, as a faulty in-place update would leave them
      const broken = (await client.query(`update warehouse.orders_fact set price = -1 where order_id = $1`, [id('a', 3)])).rowCount;
      assert.ok(broken! >= 1);
      await client.query(`delete from warehouse.orders_fact where order_id = $1`, [id('a', 5)]);
      await client.query('create temp table touched_keys (order_id text) on commit drop');
      const gate = async (order: string): Promise<Map<string, CheckResult>> => {
        await client.query('truncate touched_keys');
        await client.query('insert into touched_keys values ($1)', [order]);
        const out = await runQualityGate(ctx.db.pool, {
          runId: await startRun(ctx.db.pool, 'test scoped', null), staged: false, client, incremental: true, log: quietLogger(),
          targets: new Set(['orders_fact']), touched: new Map([['orders_fact', { table: 'pg_temp.touched_keys', columns: ['order_id'] }]]),
        });
        return byName(out.results);
      };
      const touched = await gate(id('a', 3));
      assert.equal(touched.get('orders_fact.range.price')!.status, 'fail');
      assert.equal(touched.get('orders_fact.range.price')!.failingRows, broken);
      assert.match(touched.get('orders_fact.range.price')!.note!, /rows this batch touched/);
      // the same rows, not touched by the batch, are not looked at: they passed the last gate
      const other = await gate(id('a', 1));
      assert.equal(other.get('orders_fact.range.price')!.status, 'pass');
      // a whole-table reconciliation sees the lost item whatever the batch touched
      assert.equal(other.get('orders_fact.reconcile.items')!.status, 'fail');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
