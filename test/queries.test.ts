import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectPath } from '../src/paths.ts';
import type { Context } from '../src/pipeline/context.ts';
import { generateDataset } from '../src/generate/generate.ts';
import { runPipeline, type RunSummary } from '../src/pipeline/run.ts';
import { writeTrapFixture } from './fixtures/traps.ts';
import { asAnalyst, openAnalystWarehouse } from './helpers/analyst.ts';
import { openTestWarehouse } from './helpers/db.ts';
import { independentFigures } from './helpers/independent.ts';
import * as expected from './helpers/independentQueries.ts';

/** Every documented example query runs on a freshly built warehouse, and a few answers are exact. */
describe('example queries', () => {
  let close: (() => Promise<void>) | undefined;
  let ctx: Context;
  const run = async (file: string) => (await ctx.db.pool.query(await fs.readFile(projectPath('queries', file), 'utf8'))).rows;

  before(async () => {
    ({ ctx, close } = await openTestWarehouse('queries'));
    await runPipeline(ctx, await writeTrapFixture());
  });
  after(async () => {
    await close?.();
  });

  test('every query in queries/ runs', async () => {
    const files = (await fs.readdir(projectPath('queries'))).filter((f) => f.endsWith('.sql'));
    assert.ok(files.length >= 12);
    for (const f of files) await assert.doesNotReject(run(f), f);
  });

  test('repeat customers are counted by person, not by order key', async () => {
    // trap fixture: customers c1 and c2 are the same person d1, who ordered twice
    assert.deepEqual(await run('repeat_customers.sql'), [{ people: '4', repeat_buyers: '1', repeat_rate_pct: '25.00', most_orders_by_one_person: '2' }]);
  });

  test('top categories: untranslated and missing categories keep their revenue', async () => {
    const rows = await run('top_categories_by_revenue.sql');
    assert.deepEqual(rows.map((r) => [r.category, r.items_revenue]), [
      ['perfumery', '300.00'], // a1 item 1 (100) + a5 (200)
      ['pc_gamer', '50.50'], // not in the translation table: Portuguese name kept
      ['unknown', '30.00'], // product without category
    ]);
  });
});

/** `-- ` lines at the top of a query: the business question it answers. */
async function question(file: string): Promise<string> {
  const text = await fs.readFile(projectPath('queries', file), 'utf8');
  return text.split('\n').filter((l) => l.startsWith('--')).join(' ');
}

const money = (v: unknown) => Math.round(Number(v) * 100);
/** A value the SQL rounded to `decimals`, against the exact one. */
function near(actual: unknown, exact: number | null, decimals: number, what: string): void {
  if (exact === null) return assert.equal(actual, null, what);
  assert.ok(Math.abs(Number(actual) - exact) <= 0.5 * 10 ** -decimals + 1e-9, `${what}: ${String(actual)} vs ${exact}`);
}

/**
 * Every query on a generated dataset (a few thousand orders over two years, the real data's
 * traps included), run as the read-only analyst, each answer compared with the same question
 * answered again in TypeScript straight from the CSV files (test/helpers/independentQueries.ts).
 */
describe('example queries against an independent computation', () => {
  let w: Awaited<ReturnType<typeof openAnalystWarehouse>>;
  let dir: string;
  let summary: RunSummary;
  let data: Awaited<ReturnType<typeof expected.loadIndependent>>;
  const run = async (file: string) => {
    const r = await asAnalyst(w.url, await fs.readFile(projectPath('queries', file), 'utf8'));
    assert.equal(r.code, undefined, `${file} runs as the analyst`);
    return r.rows!;
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'olist-queries-'));
    await generateDataset({ scale: 0.02, seed: 7, outDir: dir, referenceDir: '' });
    w = await openAnalystWarehouse('queries_gen');
    summary = await runPipeline(w.ctx, dir);
    data = await expected.loadIndependent(dir);
  });
  after(async () => {
    await w?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every query opens with the business question it answers', async () => {
    for (const f of (await fs.readdir(projectPath('queries'))).filter((x) => x.endsWith('.sql'))) {
      assert.match(await question(f), /\?/, `${f} starts with a question`);
    }
  });

  test('top categories per month', async () => {
    const rows = await run('top_categories_per_month.sql');
    const want = expected.topCategoriesPerMonth(data);
    assert.ok(want.length > 30);
    assert.deepEqual(rows.map((r) => [r.month, r.rank_in_month, r.category, r.orders, money(r.gmv)]), want.map((x) => [x.month, x.rank, x.category, x.orders, x.gmvCents]));
  });

  test('seller ranking with a minimum volume', async () => {
    const rows = await run('seller_ranking.sql');
    const want = expected.sellerRanking(data, 30, 20);
    assert.ok(want.length >= 3, 'some sellers pass the minimum');
    assert.deepEqual(rows.map((r) => [r.seller_id, r.seller_state, r.orders, money(r.gmv)]), want.map((x) => [x.seller, x.state, x.orders, x.gmvCents]));
    rows.forEach((r, i) => {
      near(r.on_time_rate, want[i]!.onTimeRate, 4, `on-time rate of ${String(r.seller_id)}`);
      near(r.avg_review_score, want[i]!.avgReview, 2, `review score of ${String(r.seller_id)}`);
    });
  });

  test('late deliveries by state', async () => {
    const rows = await run('late_deliveries_by_state.sql');
    const want = expected.lateByState(data);
    assert.deepEqual(rows.map((r) => [r.state, r.delivered_orders, r.late_orders]), want.map((x) => [x.key, x.delivered, x.late]));
    rows.forEach((r, i) => {
      near(r.late_rate, want[i]!.lateRate, 4, `late rate of ${String(r.state)}`);
      near(r.avg_delivery_days, want[i]!.avgDeliveryDays, 2, `delivery days of ${String(r.state)}`);
    });
  });

  test('late deliveries by route', async () => {
    const rows = await run('late_deliveries_by_route.sql');
    const want = expected.lateByRoute(data, 20, 20);
    assert.ok(want.length >= 3);
    assert.deepEqual(rows.map((r) => [`${String(r.seller_state)}>${String(r.customer_state)}`, r.delivered_orders, r.late_orders]), want.map((x) => [x.key, x.delivered, x.late]));
    rows.forEach((r, i) => near(r.avg_delivery_days, want[i]!.avgDeliveryDays, 2, 'route delivery days'));
  });

  test('the effect of delay on review score', async () => {
    const rows = await run('review_score_by_delay.sql');
    const want = expected.reviewByDelay(data);
    assert.deepEqual(rows.map((r) => [r.delay_bucket, r.reviews]), want.map((x) => [x.bucket, x.reviews]));
    rows.forEach((r, i) => {
      near(r.avg_score, want[i]!.avgScore, 2, `score ${String(r.delay_bucket)}`);
      near(r.low_score_rate, want[i]!.lowRate, 4, `low scores ${String(r.delay_bucket)}`);
      near(r.five_star_rate, want[i]!.fiveRate, 4, `five stars ${String(r.delay_bucket)}`);
    });
    assert.ok(Number(rows.at(-1)!.avg_score) < Number(rows[0]!.avg_score), 'very late orders score worse than early ones');
  });

  test('weekday and hour patterns', async () => {
    const rows = await run('orders_by_weekday_and_hour.sql');
    assert.deepEqual(rows.map((r) => [r.purchase_day_of_week, r.purchase_hour, Number(r.orders), money(r.gmv)]),
      expected.ordersByWeekdayAndHour(data).map((x) => [x.dow, x.hour, x.orders, x.gmvCents]));
  });

  test('freight share by region', async () => {
    const rows = await run('freight_share_by_region.sql');
    const want = expected.freightShareByRegion(data);
    assert.deepEqual(rows.map((r) => [r.customer_region, money(r.freight_value), money(r.gmv)]), want.map((x) => [x.region, x.freightCents, x.gmvCents]));
    rows.forEach((r, i) => near(r.freight_share, want[i]!.share, 4, `freight share ${String(r.customer_region)}`));
  });

  test('cohort retention', async () => {
    const rows = await run('cohort_retention.sql');
    const want = expected.cohortRetention(data);
    assert.deepEqual(rows.map((r) => [r.cohort_month, Number(r.customers)]), want.map((x) => [x.cohort, x.customers]));
    assert.ok(want.some((x) => x.rate(1) > 0 || x.rate(2) > 0), 'some people came back');
    rows.forEach((r, i) => {
      for (const k of [1, 2, 3, 6]) near(r[`month_${k}`], want[i]!.rate(k), 4, `${String(r.cohort_month)} month ${k}`);
    });
  });

  test('repeat-customer rate', async () => {
    const [row] = await run('repeat_customers.sql');
    const want = expected.repeatCustomers(data);
    assert.deepEqual([Number(row!.people), Number(row!.repeat_buyers), Number(row!.most_orders_by_one_person)], [want.people, want.repeat, want.most]);
    near(row!.repeat_rate_pct, (100 * want.repeat) / want.people, 2, 'repeat rate');
  });

  test('payment mix', async () => {
    const rows = await run('payment_mix.sql');
    const want = expected.paymentMix(data);
    assert.deepEqual(rows.map((r) => [r.payment_type, r.installments_bucket, r.payments, money(r.value)]), want.map((x) => [x.type, x.bucket, x.payments, x.valueCents]));
    rows.forEach((r, i) => near(r.value_share, want[i]!.share, 4, 'value share'));
  });

  test('RFM segments', async () => {
    const rows = await run('rfm_segments.sql');
    const want = expected.rfmSegments(data);
    assert.deepEqual(rows.map((r) => [r.segment, Number(r.customers), money(r.monetary), r.latest_purchase]), want.map((x) => [x.segment, x.customers, x.monetaryCents, x.latest]));
    rows.forEach((r, i) => near(r.avg_orders, want[i]!.avgOrders, 2, `orders of ${String(r.segment)}`));
  });

  test('monthly revenue growth', async () => {
    const rows = await run('monthly_revenue_growth.sql');
    const want = expected.monthlyRevenue(data);
    assert.deepEqual(rows.map((r) => [r.month, r.orders, money(r.gmv)]), want.map((x) => [x.month, x.orders, x.gmvCents]));
    rows.forEach((r, i) => near(r.gmv_growth_pct, want[i]!.growthPct, 2, `growth ${String(r.month)}`));
  });

  test('category sales in a state and quarter, on the wide item view', async () => {
    const rows = await run('category_sales_in_state.sql');
    const want = expected.categorySalesInState(data, 'RJ', '2017-10-01', '2017-12-31', 10);
    assert.ok(want.length >= 3);
    assert.deepEqual(rows.map((r) => [r.category, Number(r.orders), Number(r.items), money(r.gmv)]), want.map((x) => [x.category, x.orders, x.items, x.gmvCents]));
  });

  test('headline metrics equal the figures counted from the files', async () => {
    const [row] = await run('headline_metrics.sql');
    const figures = await independentFigures(dir);
    assert.deepEqual([Number(row!.revenue_orders), Number(row!.revenue_items), money(row!.gmv), Number(row!.delivered_orders)],
      [figures.revenueOrders, figures.revenueItems, figures.gmvCents, figures.deliveredWithDate]);
  });

  test('top categories by revenue', async () => {
    const rows = await run('top_categories_by_revenue.sql');
    const want = expected.topCategories(data, 15);
    assert.deepEqual(rows.map((r) => [r.category, Number(r.orders), Number(r.items), money(r.items_revenue)]), want.map((x) => [x.category, x.orders, x.items, x.priceCents]));
  });

  test('late deliveries by region', async () => {
    const rows = await run('late_deliveries_by_region.sql');
    const want = new Map(expected.lateByRegion(data).map((x) => [x.region, x]));
    assert.equal(rows.length, want.size);
    for (const r of rows) {
      assert.equal(Number(r.delivered_orders), want.get(String(r.region))!.delivered);
      near(r.late_pct, want.get(String(r.region))!.latePct, 1, `late % ${String(r.region)}`);
    }
  });

  test('sales by weekday and part of day', async () => {
    const rows = await run('sales_by_weekday_and_part_of_day.sql');
    const key = (dow: unknown, part: unknown) => `${String(dow)}|${String(part)}`;
    const got = new Map(rows.map((r) => [key(r.day_of_week, r.part_of_day), [Number(r.orders), money(r.gmv)]]));
    const want = new Map(expected.salesByWeekdayAndPartOfDay(data).map((x) => [key(x.dow, x.part), [x.orders, x.gmvCents]]));
    assert.deepEqual(got, want);
  });

  test('quality status: the checks and rejected rows of the run that published', async () => {
    const rows = await run('quality_status.sql');
    assert.equal(rows.reduce((n, r) => n + Number(r.checks), 0), summary.gate.checks);
    assert.equal(rows.filter((r) => r.status === 'warn').reduce((n, r) => n + Number(r.checks), 0), summary.gate.warnings);
    for (const r of rows) assert.equal(Number(r.rejected_rows_last_load), summary.files.reduce((n, f) => n + f.rowsRejected, 0));
  });
});
