import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corruptOrderId } from '../src/feed/faults.ts';
import { BatchError, listBatches, MANIFEST_FILE } from '../src/feed/manifest.ts';
import type { Context } from '../src/pipeline/context.ts';
import { incrementalStep, simulateStep } from '../src/pipeline/feed.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { audited, checkStep } from '../src/pipeline/steps.ts';
import { verifyStep } from '../src/pipeline/verify.ts';
import { SOURCES } from '../src/sources/index.ts';
import { loadModels } from '../src/transform/models.ts';
import { FEED_WINDOW, writeFeedFixture } from './fixtures/feed.ts';
import { openTestWarehouse, type TestWarehouse } from './helpers/db.ts';

/** One fixture dataset for the whole file (generating it is the slow part of a describe's set-up). */
let fixture: Promise<string> | undefined;
let fixtureDir: string | undefined;
const feedFixture = (): Promise<string> => (fixture ??= writeFeedFixture().then((dir) => (fixtureDir = dir)));
process.on('exit', () => {
  if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
});

/** A fresh warehouse and the fixture's clean feed (no faults) in a landing directory of its own. */
async function openFeedWarehouse(label: string) {
  const wh = await openTestWarehouse(label);
  const dataDir = await feedFixture();
  const landingDir = await fs.mkdtemp(path.join(tmpdir(), `olist-landing-${label}-`));
  await simulateStep(wh.ctx, { dataDir, landingDir, granularity: 'day', seed: 1, faults: [] });
  const close = async () => {
    await wh.close();
    rmSync(landingDir, { recursive: true, force: true });
  };
  return { wh, dataDir, landingDir, close };
}

const ALL_FAULTS = ['duplicate-batch', 'changed-batch', 'corrupt-row', 'truncated-file', 'late-update', 'early-update'] as const;

/** Every published table's rows, hashed: proves that a refused batch changed nothing. */
async function warehouseFingerprint(ctx: Context): Promise<string> {
  const { rows } = await ctx.db.pool.query<{ t: string }>(
    `select table_schema || '.' || table_name as t from information_schema.tables
      where table_schema in ('raw', 'staging', 'warehouse', 'marts') and table_type = 'BASE TABLE' order by 1`,
  );
  const parts: string[] = [];
  for (const { t } of rows) {
    const r = await ctx.db.pool.query<{ h: string }>(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${t} x`);
    parts.push(`${t}:${r.rows[0]!.h}`);
  }
  return parts.join(',');
}

const ledgerCount = async (ctx: Context) => Number((await ctx.db.pool.query('select count(*) as n from audit.feed_batches')).rows[0].n);

describe('daily feed: simulate, apply incrementally, equal to a full load', () => {
  let wh: TestWarehouse;
  let ctx: Context;
  let dataDir: string;
  let landingDir: string;
  const simulate = (faults: readonly (typeof ALL_FAULTS)[number][]) =>
    simulateStep(ctx, { dataDir, landingDir, granularity: 'day', seed: 5, faults });
  const apply = (opts: { batchId?: string; allowGaps?: boolean } = {}) =>
    audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir, ...opts }));

  before(async () => {
    wh = await openTestWarehouse('feed');
    ctx = wh.ctx;
    dataDir = await feedFixture();
    landingDir = await fs.mkdtemp(path.join(tmpdir(), 'olist-landing-'));
  });
  after(async () => {
    await wh?.close();
    rmSync(landingDir, { recursive: true, force: true });
  });

  test('simulate writes one batch per day, each with a manifest, the same bytes for the same options', async () => {
    const first = await simulate(ALL_FAULTS);
    const batches = await listBatches(landingDir);
    assert.equal(batches[0]!.manifest.batchId, 'reference');
    assert.deepEqual(batches[0]!.manifest.files.map((f) => f.source).sort(), ['category_translation', 'geolocation', 'products', 'sellers'].sort().filter((s) => batches[0]!.manifest.files.some((f) => f.source === s)));
    assert.equal(batches[1]!.manifest.batchId, FEED_WINDOW.from);
    assert.equal(batches[1]!.manifest.previous, 'reference');
    // every day from the first purchase to the last event has a batch, quiet days included
    const days = batches.filter((b) => b.manifest.seq! > 0 && !b.dir.includes('~'));
    assert.equal(days.length, first.batches - 1);
    const manifests = JSON.stringify(batches.map((b) => b.manifest));
    await simulate(ALL_FAULTS);
    assert.equal(JSON.stringify((await listBatches(landingDir)).map((b) => b.manifest)), manifests);
  });

  test('a changed batch under a used id is refused loudly and changes nothing', async () => {
    await assert.rejects(apply(), (err: Error) => err instanceof BatchError && /~changed reuses the id of a batch already applied/.test(err.message));
    const before = await warehouseFingerprint(ctx);
    const applied = await ledgerCount(ctx);
    await assert.rejects(apply(), /reuses the id/);
    assert.equal(await warehouseFingerprint(ctx), before);
    assert.equal(await ledgerCount(ctx), applied);
    rmSync(readdirSync(landingDir).map((d) => path.join(landingDir, d)).find((d) => d.endsWith('~changed'))!, { recursive: true });
  });

  test('a truncated file fails its batch with the file named; nothing of the batch is applied', async () => {
    const before = await warehouseFingerprint(ctx);
    const applied = await ledgerCount(ctx);
    await assert.rejects(apply(), (err: Error) => err instanceof BatchError && /olist_\w+\.csv does not match its manifest .*truncated/.test(err.message));
    assert.equal(await warehouseFingerprint(ctx), before);
    assert.equal(await ledgerCount(ctx), applied);
    // the transfer is redone (the same feed, without the cut)
    await simulate(ALL_FAULTS.filter((f) => f !== 'truncated-file' && f !== 'changed-batch'));
  });

  test('the rest of the feed applies: the duplicate is a no-op, the corrupt row quarantined, the late update stale, the early one parked then applied', async () => {
    const { result } = await apply();
    assert.equal(result.pending.length, 0);
    assert.ok(result.alreadyApplied.length >= 1, 'the batch delivered twice is recognised');
    const corrupt = await ctx.db.pool.query(
      `select r.column_name, r.reason, r.line::int from audit.rejected_rows r join audit.runs u using (run_id) where u.batch_id is not null and r.record_key = $1`,
      [corruptOrderId(5)],
    );
    assert.equal(corrupt.rows.length, 1);
    assert.equal(corrupt.rows[0].column_name, 'order_purchase_timestamp');
    const totals = await ctx.db.pool.query(
      'select sum(rows_stale)::int as stale, sum(rows_parked)::int as parked, bool_and(rows_read = rows_loaded + rows_rejected) as accounted from audit.feed_batches',
    );
    assert.ok(totals.rows[0].stale >= 1, 'the late update was recognised as older');
    assert.ok(totals.rows[0].parked >= 1, 'the early update was parked');
    assert.equal(totals.rows[0].accounted, true);
    assert.equal(Number((await ctx.db.pool.query('select count(*) as n from audit.parked_rows')).rows[0].n), 0, 'no row is left parked');
    // The additive models (orders_by_state, route_totals...) followed the batches by difference (the
    // replay equivalence below proves them exact; test/additive.test.ts empties and creates groups).
    const additive = await ctx.db.pool.query(
      `select count(*)::int as updated from audit.feed_batches, jsonb_array_elements(details->'models') m
        where m->>'strategy' = 'additive' and (m->>'inserted')::int > 0`,
    );
    assert.ok(additive.rows[0].updated > 10, `additive updates: ${additive.rows[0].updated}`);
    // Partitions are rewritten in place (docs/incremental.md): rows whose key stayed are updated,
    // and a recomputed partition that came out as it was is not touched, so nothing downstream
    // recomputes it (the replay equivalence below proves the rows right).
    const inPlace = await ctx.db.pool.query(
      `select sum((m->>'updated')::int)::int as updated, sum((m->>'recomputed')::int)::int as recomputed, sum((m->>'touched')::int)::int as touched
         from audit.feed_batches, jsonb_array_elements(details->'models') m where m->>'strategy' = 'partitions'`,
    );
    assert.ok(inPlace.rows[0].updated > 100, `rows updated in place: ${JSON.stringify(inPlace.rows[0])}`);
    assert.ok(inPlace.rows[0].touched < inPlace.rows[0].recomputed, `partitions that came out as they were are not touched: ${JSON.stringify(inPlace.rows[0])}`);
    // Scopes that name the columns they read (docs/incremental.md): a day that only moves orders on
    // recomputes their facts but no person (people_dim reads who bought and when, the per-person
    // marts the revenue orders); the replay equivalence below proves the narrowing exact.
    const { rows: days } = await ctx.db.pool.query<{ batch_id: string; facts: number; people: number; per_person: number; per_month: number }>(
      `select batch_id,
              coalesce(sum((m->>'touched')::int) filter (where m->>'model' = 'order_fulfillment_fact'), 0)::int as facts,
              coalesce(sum((m->>'touched')::int) filter (where m->>'model' = 'people_dim'), 0)::int as people,
              coalesce(sum((m->>'touched')::int) filter (where m->>'model' = 'orders_per_person'), 0)::int as per_person,
              coalesce(sum((m->>'touched')::int) filter (where m->>'model' = 'orders_per_person_month'), 0)::int as per_month
         from audit.feed_batches, jsonb_array_elements(details->'models') m group by batch_id`,
    );
    const movedOnly = days.filter((d) => d.facts > 0 && d.people === 0 && d.per_person === 0 && d.per_month === 0);
    assert.ok(movedOnly.length > 0, `a day whose orders only moved on touches no person: ${JSON.stringify(days)}`);
    // The batches proved their total reconciliations from what they wrote (src/transform/deltas.ts),
    // raw sides (measured around the merge) included, and a count of distinct keys of the raw
    // reviews, which the merge rewrites key by key.
    const { rows: reconciled } = await ctx.db.pool.query<{ check_name: string; by_change: number; whole: number }>(
      `select check_name, count(*) filter (where note like 'this batch changed % by % and % by %: checked on the batch''s change%')::int as by_change,
              count(*) filter (where note is null)::int as whole
         from audit.quality_results r join audit.feed_batches b using (run_id)
        where kind = 'reconcile' and status = 'pass' and check_name in ('stg_orders.reconcile.raw', 'orders_by_state.reconcile.gmv', 'stg_order_reviews.reconcile.raw')
        group by check_name order by check_name`,
    );
    assert.deepEqual(reconciled.map((r) => [r.check_name, r.by_change > 0, r.whole > 0]), [
      ['orders_by_state.reconcile.gmv', true, false],
      ['stg_order_reviews.reconcile.raw', true, false],
      ['stg_orders.reconcile.raw', true, false],
    ]);
    // Warnings carried their counts forward by what each batch wrote: the last batch's counts are
    // what the whole gate (`olist check`) counts on the same warehouse.
    const carried = await ctx.db.pool.query<{ check_name: string; failing_rows: string }>(
      `select distinct on (check_name) check_name, failing_rows from audit.quality_results r join audit.feed_batches b using (run_id)
        where r.severity = 'warn' and r.note like '% after the last gate, +% in the rows this batch wrote%' order by check_name, run_id desc`,
    );
    assert.ok(carried.rows.length >= 5, `warnings carried forward: ${carried.rows.map((r) => r.check_name).join(', ')}`);
    assert.ok(carried.rows.some((r) => Number(r.failing_rows) > 0), 'some carried warning counts failing rows');
    // uniqueness warnings too, from the groups of the key values the batches wrote
    const uniques = carried.rows.filter((r) => ['stg_order_reviews.orders_with_several_reviews', 'stg_order_reviews.reviews_on_several_orders', 'raw.order_reviews.primary_key'].includes(r.check_name));
    assert.equal(uniques.length, 3, `uniqueness warnings carried: ${uniques.map((r) => r.check_name).join(', ')}`);
    const { result: whole } = await audited(ctx, 'check', null, (runId) => checkStep(ctx, runId, false));
    assert.deepEqual(
      carried.rows.map((r) => [r.check_name, Number(r.failing_rows)]),
      carried.rows.map((r) => [r.check_name, whole.results.find((w) => w.name === r.check_name)!.failingRows]),
    );
  });

  test('replay equivalence: every table equals one full load of the same files', async () => {
    const { result } = await audited(ctx, 'verify', dataDir, (runId) => verifyStep(ctx, runId, dataDir));
    const different = result.tables.filter((t) => !t.equal).map((t) => `${t.table} (${t.publishedRows} vs ${t.rebuiltRows})`);
    assert.deepEqual(different, []);
    // 9 raw tables, the 2 version histories, and every model table (views hold no rows of their own)
    assert.equal(result.tables.length, SOURCES.length + 2 + (await loadModels()).filter((m) => m.materialized === 'table').length);
    const orders = result.tables.find((t) => t.table === 'warehouse.order_fulfillment_fact')!;
    assert.equal(orders.publishedRows, 105);
  });

  test('verify notices a single changed value', async () => {
    await ctx.db.pool.query(`update marts.daily_revenue set gmv = gmv + 0.01 where day = (select min(day) from marts.daily_revenue)`);
    const { result } = await audited(ctx, 'verify', null, (runId) => verifyStep(ctx, runId));
    assert.deepEqual(result.tables.filter((t) => !t.equal).map((t) => t.table), ['marts.daily_revenue']);
    await ctx.db.pool.query(`update marts.daily_revenue set gmv = gmv - 0.01 where day = (select min(day) from marts.daily_revenue)`);
  });

  test('rerunning applies nothing and changes nothing', async () => {
    const before = await warehouseFingerprint(ctx);
    const { result } = await apply();
    assert.equal(result.applied.length, 0);
    assert.equal(await warehouseFingerprint(ctx), before);
  });

  test('a batch with a gap before it waits; --allow-gaps applies it', async () => {
    const days = (await listBatches(landingDir)).filter((b) => b.manifest.seq! > 0 && !b.dir.includes('~'));
    const last = days.at(-1)!;
    // the next two days arrive, the first of them without its manifest (still being written)
    const next1 = path.join(landingDir, '2099-01-01');
    const next2 = path.join(landingDir, '2099-01-02');
    await fs.mkdir(next1);
    await fs.mkdir(next2);
    const manifest = (id: string, seq: number, previous: string) => ({ format: 'olist-feed/1', batchId: id, seq, previous, granularity: 'day', periodStart: `${id} 00:00:00`, files: [] });
    const { writeManifest } = await import('../src/feed/manifest.ts');
    await writeManifest(next2, manifest('2099-01-02', last.manifest.seq! + 2, '2099-01-01') as never);
    const { result } = await apply();
    assert.equal(result.applied.length, 0);
    assert.deepEqual(result.waiting, { batchId: '2099-01-02', missing: '2099-01-01' });
    const gapped = await apply({ allowGaps: true });
    assert.deepEqual(gapped.result.applied.map((b) => b.batchId), ['2099-01-02']);
    assert.equal(existsSync(path.join(next1, MANIFEST_FILE)), false);
    rmSync(next1, { recursive: true });
  });

  test('dead-letter replay: a quarantined row exported, fixed by hand, sealed and applied exactly once', async () => {
    const { rows: refs } = await ctx.db.pool.query('select product_id, seller_id from raw.order_items limit 1');
    const { product_id: product, seller_id: seller } = refs[0];
    const order = 'ab'.repeat(16);
    const customer = 'cd'.repeat(16);
    const dir = path.join(landingDir, 'correction-setup');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'olist_customers_dataset.csv'), `"customer_id","customer_unique_id","customer_zip_code_prefix","customer_city","customer_state"\n${customer},${'ef'.repeat(16)},"01037",sao paulo,SP\n`);
    await fs.writeFile(path.join(dir, 'olist_orders_dataset.csv'), `"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at","order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"\n${order},${customer},created,2018-01-20 10:00:00,,,,2018-02-10 00:00:00\n`);
    // a negative price: the item is quarantined, the order lands without it
    await fs.writeFile(path.join(dir, 'olist_order_items_dataset.csv'), `"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"\n${order},1,${product},${seller},2018-01-25 10:00:00,-49.90,12.00\n`);
    const { sealBatch, exportRejected } = await import('../src/feed/corrections.ts');
    await sealBatch(dir);
    const first = await apply();
    const applied = first.result.applied.find((b) => b.batchId === 'correction-setup')!;
    assert.deepEqual([applied.rowsRead, applied.rowsLoaded, applied.rowsRejected], [3, 2, 1]);
    const items = async () => Number((await ctx.db.pool.query('select items from warehouse.order_fulfillment_fact where order_id = $1', [order])).rows[0].items);
    assert.equal(await items(), 0);

    const exported = await exportRejected(ctx.db.pool, applied.runId, landingDir);
    assert.deepEqual(exported.files, [{ file: 'olist_order_items_dataset.csv', rows: 1 }]);
    const itemsFile = path.join(exported.dir, 'olist_order_items_dataset.csv');
    const text = await fs.readFile(itemsFile, 'utf8');
    assert.match(text, /-49\.90/);
    // not sealed yet: nothing picks it up
    assert.equal((await apply()).result.applied.length, 0);
    await fs.writeFile(itemsFile, text.replace('-49.90', '49.90'));
    await sealBatch(exported.dir);
    const second = await apply();
    assert.deepEqual(second.result.applied.map((b) => [b.batchId, b.rowsLoaded, b.rowsRejected]), [[exported.batchId, 1, 0]]);
    assert.equal(await items(), 1);
    const revenue = await ctx.db.pool.query('select gmv::text from marts.daily_revenue where day = $1', ['2018-01-20']);
    assert.ok(Number(revenue.rows[0].gmv) >= 61.9);
    // exactly once: the same correction again is a no-op
    assert.equal((await apply()).result.applied.length, 0);
    // two versions of one order in one batch are versions, not duplicates: the newest applies
    const versions = path.join(landingDir, 'correction-two-versions');
    await fs.mkdir(versions);
    const header = '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at","order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"';
    await fs.writeFile(path.join(versions, 'olist_orders_dataset.csv'), `${header}\n${order},${customer},shipped,2018-01-20 10:00:00,2018-01-20 11:00:00,2018-01-22 09:00:00,,2018-02-10 00:00:00\n${order},${customer},approved,2018-01-20 10:00:00,2018-01-20 11:00:00,,,2018-02-10 00:00:00\n`);
    await sealBatch(versions);
    const two = await apply();
    assert.deepEqual(two.result.applied.map((b) => [b.batchId, b.rowsLoaded, b.rowsRejected]), [['correction-two-versions', 2, 0]]);
    assert.equal((await ctx.db.pool.query('select order_status from staging.stg_orders where order_id = $1', [order])).rows[0].order_status, 'shipped');
    // Delivered, then canceled (the source has canceled orders with a delivery date): the order
    // leaves delivered_orders and the person, whose only order it was, leaves the January cohort.
    // The marts partitioned by state, month and cohort must recompute the partitions it leaves,
    // which only its old rows name (changes() scopes, docs/incremental.md).
    const resend = async (id: string, status: string) => {
      const dir = path.join(landingDir, id);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'olist_orders_dataset.csv'), `${header}\n${order},${customer},${status},2018-01-20 10:00:00,2018-01-20 11:00:00,2018-01-22 09:00:00,2018-01-25 15:00:00,2018-02-10 00:00:00\n`);
      await sealBatch(dir);
      assert.deepEqual((await apply()).result.applied.map((b) => b.batchId), [id]);
    };
    const january = async () => (await ctx.db.pool.query(
      `select coalesce((select cohort_customers from marts.customer_cohorts where cohort_month = '2018-01-01' and months_since_first = 0), 0) as cohort,
              coalesce((select delivered_orders from marts.delivery_times_by_state where state = 'SP'), 0) as sp,
              coalesce((select delivered_orders from marts.delivery_times_monthly where month = '2018-01-01'), 0) as month`,
    )).rows[0] as { cohort: number; sp: number; month: number };
    await resend('correction-delivered', 'delivered');
    const delivered = await january();
    assert.ok(delivered.cohort > 0 && delivered.sp > 0 && delivered.month > 0, JSON.stringify(delivered));
    await resend('correction-canceled', 'canceled');
    assert.deepEqual(await january(), { cohort: delivered.cohort - 1, sp: delivered.sp - 1, month: delivered.month - 1 });
    const { result } = await audited(ctx, 'verify', null, (runId) => verifyStep(ctx, runId));
    assert.deepEqual(result.tables.filter((t) => !t.equal).map((t) => t.table), []);
  });
});

describe('daily feed: kill -9 in the middle of a batch', () => {
  let wh: TestWarehouse;
  let dataDir: string;
  let landingDir: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ wh, dataDir, landingDir, close } = await openFeedWarehouse('feed_kill'));
  });
  after(async () => close?.());

  test('a batch killed mid-transaction leaves nothing; the rerun gives the same warehouse as an uninterrupted run', async () => {
    const ctx = wh.ctx;
    await audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir, maxBatches: 3 }));
    const before = await warehouseFingerprint(ctx);
    const applied = await ledgerCount(ctx);
    // Hold a lock on a mart so the next batch blocks inside its transaction, after its raw merge
    // and the facts (the marts come last).
    const blocker = await ctx.db.pool.connect();
    await blocker.query('begin');
    await blocker.query('lock table marts.daily_revenue in access exclusive mode');
    const child = spawn(process.execPath, [path.resolve('bin/olist.js'), 'run', '--incremental', '--max-batches', '1'], {
      env: { ...process.env, DATABASE_URL: wh.db.url, OLIST_LANDING_DIR: landingDir, OLIST_HOME: landingDir + '-home', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      let waiting = 0;
      for (let i = 0; i < 600 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await ctx.db.pool.query(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%daily_revenue%'`,
        );
        waiting = rows[0].n;
      }
      assert.equal(waiting, 1, 'the batch reached the locked mart inside its transaction');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      await blocker.query('rollback');
      blocker.release();
    }
    // the server ends the dead client's transaction; wait for its backends to go
    for (let i = 0; i < 100; i++) {
      const { rows } = await ctx.db.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name = ''`);
      if (rows[0].n <= ctx.db.pool.totalCount) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await ledgerCount(ctx), applied, 'the killed batch has no ledger row');
    assert.equal(await warehouseFingerprint(ctx), before, 'the killed batch changed nothing');
    const { result } = await audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir }));
    assert.equal(result.pending.length, 0);
    const abandoned = await ctx.db.pool.query(`select count(*)::int as n from audit.runs where status = 'failed' and error like 'abandoned%'`);
    assert.ok(abandoned.rows[0].n >= 1, 'the killed run is closed as abandoned');
    const verified = await audited(ctx, 'verify', dataDir, (runId) => verifyStep(ctx, runId, dataDir));
    assert.deepEqual(verified.result.tables.filter((t) => !t.equal).map((t) => t.table), []);
  });
});

describe('daily feed: switching between the full load and the feed', () => {
  let wh: TestWarehouse;
  let dataDir: string;
  let landingDir: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ wh, dataDir, landingDir, close } = await openFeedWarehouse('feed_switch'));
  });
  after(async () => close?.());

  test('the feed applied on top of a full load of the same data changes nothing, and the full load after it neither', async () => {
    const ctx = wh.ctx;
    await runPipeline(ctx, dataDir);
    const full = await warehouseFingerprint(ctx);
    // a warehouse built when unique constraints were checked row by row: the feed remakes them
    // checked by statement, as its partition rewrites need (src/transform/incremental.ts)
    const uniques = `select count(*) filter (where not condeferrable)::int as row_by_row, count(*)::int as n from pg_constraint
                      where contype = 'u' and connamespace in ('warehouse'::regnamespace, 'staging'::regnamespace, 'marts'::regnamespace)`;
    await ctx.db.pool.query(`alter table warehouse.people_dim drop constraint people_dim_customer_unique_id_version_key,
                               add constraint people_dim_customer_unique_id_version_key unique (customer_unique_id, version)`);
    const before = (await ctx.db.pool.query(uniques)).rows[0];
    assert.equal(before.row_by_row, 1);
    const { result } = await audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir }));
    assert.deepEqual((await ctx.db.pool.query(uniques)).rows[0], { row_by_row: 0, n: before.n });
    assert.equal(result.pending.length, 0);
    assert.ok(result.applied.length > 20);
    assert.ok(result.applied.reduce((n, b) => n + b.rowsStale, 0) > 0, 'the older versions the feed sends are recognised as older');
    assert.equal(await warehouseFingerprint(ctx), full, 'every row the feed sends is already there, in its newest version');
    await runPipeline(ctx, dataDir);
    assert.equal(await warehouseFingerprint(ctx), full);
    const { result: again } = await audited(ctx, 'run --incremental', landingDir, (runId) => incrementalStep(ctx, runId, { landingDir }));
    assert.equal(again.applied.length, 0, 'the ledger survives a full load: no batch is applied twice');
  });
});
