import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { projectPath } from '../src/paths.ts';
import type { Context } from '../src/pipeline/context.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { writeTrapFixture } from './fixtures/traps.ts';
import { openTestWarehouse } from './helpers/db.ts';

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
    assert.ok(files.length >= 6);
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
