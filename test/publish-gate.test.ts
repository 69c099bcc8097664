import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Context } from '../src/pipeline/context.ts';
import { createProgress } from '../src/pipeline/progress.ts';
import { audited, checkStep, GateFailedError, ingestStep, publishStep, transformStep } from '../src/pipeline/steps.ts';
import { writeTrapFixture } from './fixtures/traps.ts';
import { openTestWarehouse } from './helpers/db.ts';

/**
 * `olist publish` after `olist check --staged` (the Airflow full refresh): the gate runs once, and
 * publish trusts only a verdict recorded for exactly the staged build it swaps in.
 */
describe('publish behind the gate recorded for the staged build', () => {
  let ctx: Context;
  let close: (() => Promise<void>) | undefined;
  let dataDir: string;
  const silent = createProgress('silent');
  const build = async () => {
    await audited(ctx, 'ingest', dataDir, (runId) => ingestStep(ctx, runId, dataDir, silent));
    await audited(ctx, 'transform', null, (runId) => transformStep(ctx, runId, silent));
  };
  const gate = async () => (await audited(ctx, 'check --staged', null, (runId) => checkStep(ctx, runId, true))).runId;
  const publish = () => audited(ctx, 'publish', null, (runId) => publishStep(ctx, runId));
  const gateRows = async () => (await ctx.db.pool.query<{ n: number }>('select count(*)::int as n from audit.quality_gates')).rows[0]!.n;
  const publications = async () => (await ctx.db.pool.query<{ n: number }>('select count(*)::int as n from audit.publications')).rows[0]!.n;

  before(async () => {
    ({ ctx, close } = await openTestWarehouse('publishgate'));
    dataDir = await writeTrapFixture();
  });
  after(async () => {
    await close?.();
  });

  test('a passing verdict on this build is trusted: the checks do not run again', async () => {
    await build();
    const checked = await gate();
    const before = await gateRows();
    const { result } = await publish();
    assert.deepEqual({ reused: result.gate.reused, runId: result.gate.runId }, { reused: true, runId: checked });
    assert.equal(await gateRows(), before); // no second gate
    assert.ok(result.rows['marts.daily_revenue']! > 0);
  });

  test('a failing verdict on this build refuses at once; nothing is published', async () => {
    await build();
    const checked = await gate();
    await ctx.db.pool.query('update audit.quality_gates set passed = false, failed = 1 where run_id = $1', [checked]);
    const before = await publications();
    await assert.rejects(publish(), (err: Error) => err instanceof GateFailedError && new RegExp(`quality gate of run ${checked} failed on this staged build`).test(err.message));
    assert.equal(await publications(), before);
  });

  test('a verdict on an older build is not trusted: publish gates the new build itself', async () => {
    await build(); // newer than the (failed) verdict above
    const before = await gateRows();
    const { runId, result } = await publish();
    assert.deepEqual({ reused: result.gate.reused, runId: result.gate.runId }, { reused: false, runId });
    assert.equal(await gateRows(), before + 1);
  });
});
