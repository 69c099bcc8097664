import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { generateDataset } from '../../src/generate/generate.ts';
import type { Context } from '../../src/pipeline/context.ts';
import { runPipeline, type RunSummary } from '../../src/pipeline/run.ts';
import { openTestWarehouse } from '../helpers/db.ts';

/**
 * The generator plants the known issues of the real data at their rates. The gate must report each
 * as a warning whose count equals an independent measurement of the generated CSVs (Python's csv
 * module: test/quality/measure-real-data.py), and nothing may fail.
 */
const python = await promisify(execFile)('python3', ['--version']).then(() => true, () => false);

describe('quality gate on a generated dataset', { skip: python ? false : 'python3 is not available' }, () => {
  let close: (() => Promise<void>) | undefined;
  let ctx: Context;
  let dir: string;
  let summary: RunSummary;
  let measured: Record<string, number>;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-quality-gen-'));
    await generateDataset({ scale: 0.02, seed: 7, outDir: dir, referenceDir: '' });
    const script = path.join(import.meta.dirname, 'measure-real-data.py');
    measured = JSON.parse((await promisify(execFile)('python3', [script, dir, '--json'], { maxBuffer: 1 << 20 })).stdout);
    ({ ctx, close } = await openTestWarehouse('quality_generated'));
    summary = await runPipeline(ctx, dir);
  });
  after(async () => {
    await close?.();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('every planted issue is a warning with its independently measured count; nothing fails', async (t) => {
    assert.equal(summary.gate.passed, true);
    const rejected = summary.files.reduce((a, f) => a + f.rowsRejected, 0);
    const { rows } = await ctx.db.pool.query<{ check_name: string; status: string; failing_rows: string }>(
      'select check_name, status, failing_rows from audit.quality_results where run_id = $1',
      [summary.runId],
    );
    const got = Object.fromEntries(rows.map((r) => [r.check_name, Number(r.failing_rows)]));
    t.diagnostic(`${rejected} rows rejected at ingest; ${Object.values(measured).filter((n) => n > 0).length} planted issues measured`);
    if (rejected === 0) {
      // the independent measure reads every record: only comparable when the ingest rejected none
      for (const [name, count] of Object.entries(measured)) assert.equal(got[name], count, name);
    }
    const warned = rows.filter((r) => r.status === 'warn').map((r) => r.check_name).sort();
    const planted = Object.entries(measured).filter(([, n]) => n > 0).map(([k]) => k).sort();
    assert.deepEqual(warned.filter((w) => !w.endsWith('.volume')), planted);
    assert.deepEqual(rows.filter((r) => r.status === 'fail').map((r) => r.check_name), []);
  });
});
