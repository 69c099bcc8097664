import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingSourceFiles } from '../../src/ingest/ingest.ts';
import type { Context } from '../../src/pipeline/context.ts';
import { runPipeline, type RunSummary } from '../../src/pipeline/run.ts';
import { openTestWarehouse, REAL_DATA_DIR } from '../helpers/db.ts';

/**
 * The known issues of the real Kaggle files must show as warnings with their exact counts, never
 * fail the build, never be hidden. The expected counts were measured independently of the project
 * (Python's csv module over the CSVs: test/quality/measure-real-data.py; same figures in
 * docs/cleaning-decisions.md).
 */
const KNOWN_ISSUES: Record<string, number> = {
  'raw.geolocation.primary_key': 131_707, // (prefix, lat, lng) values repeated
  'raw.geolocation.inside_brazil': 42, // points outside Brazil's bounding box
  'stg_orders.delivered_without_date': 8,
  'stg_orders.carrier_after_approval': 1_359,
  'stg_orders.carrier_after_purchase': 166,
  'stg_orders.delivered_after_carrier': 23,
  'stg_products.without_category': 610,
  'stg_products.category_untranslated': 13,
  'stg_order_reviews.orders_with_several_reviews': 547,
  'stg_order_reviews.reviews_on_several_orders': 789,
  'stg_order_reviews.missing_date.review_creation_date': 21,
  'stg_order_reviews.missing_date.review_answer_timestamp': 67,
  'customers_dim.without_geolocation': 279,
  'sellers_dim.without_geolocation': 7,
  'order_fulfillment_fact.payments_match_items': 303,
  'order_fulfillment_fact.without_payment': 1,
  'order_fulfillment_fact.sale_without_items': 8,
  'orders_fact.shipping_limit_far_future': 4,
};

const available = missingSourceFiles(REAL_DATA_DIR).length === 0;

describe('quality gate on the real Olist files', { skip: available ? false : `no Kaggle files in ${REAL_DATA_DIR}` }, () => {
  let close: (() => Promise<void>) | undefined;
  let ctx: Context;
  let summary: RunSummary;

  before(async () => {
    ({ ctx, close } = await openTestWarehouse('quality_real'));
    summary = await runPipeline(ctx, REAL_DATA_DIR);
  });
  after(async () => {
    await close?.();
  });

  test('the known issues are warnings with their exact counts; nothing fails; the data is published', async () => {
    assert.equal(summary.gate.passed, true);
    assert.deepEqual(summary.layers, ['raw', 'staging', 'warehouse', 'marts']);
    const { rows } = await ctx.db.pool.query<{ check_name: string; status: string; failing_rows: string }>(
      'select check_name, status, failing_rows from audit.quality_results where run_id = $1',
      [summary.runId],
    );
    const warned = Object.fromEntries(rows.filter((r) => r.status === 'warn').map((r) => [r.check_name, Number(r.failing_rows)]));
    assert.deepEqual(warned, KNOWN_ISSUES);
    assert.deepEqual(rows.filter((r) => r.status === 'fail').map((r) => r.check_name), []);
    // the quarantined review (bare quote, line 81,468) is accounted for, not lost
    const load = await ctx.db.pool.query(
      "select check_name, note from audit.quality_results where run_id = $1 and check_name = 'raw.order_reviews.reconcile.file_load'", [summary.runId],
    );
    assert.match(load.rows[0].note, /read 99224, loaded 99223, rejected 1/);
  });

  test('the gate stays a small part of the run', () => {
    const total = summary.timings.ingestMs + summary.timings.transformMs + summary.timings.checkMs + summary.timings.publishMs;
    assert.ok(summary.timings.checkMs < total * 0.35, `checks took ${summary.timings.checkMs} ms of ${total} ms`);
  });
});
