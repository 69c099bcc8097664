import { closeAbandonedRuns, finishRun, startRun } from '../audit/runs.ts';
import { ident, type Pool } from '../db/connection.ts';
import { withWarehouseLock } from '../db/lock.ts';
import { assertNotIncomplete, stagedState } from '../db/staged.ts';
import { assertNoOtherReservation } from '../db/reservation.ts';
import { ingestToBuild, RAW_BUILD_SCHEMA, RAW_SCHEMA } from '../ingest/ingest.ts';
import type { FileLoadResult } from '../ingest/loadFile.ts';
import { runQualityGate, type GateOutcome } from '../quality/gate.ts';
import { buildModels, buildSchema, type ModelResult } from '../transform/build.ts';
import { loadModels, MODEL_LAYERS } from '../transform/models.ts';
import { publishLayers } from '../transform/publish.ts';
import type { Context } from './context.ts';
import { describeError, withStep } from '../db/failure.ts';
import { interruptReason, InterruptedError, throwIfInterrupted } from '../db/interrupt.ts';
import type { Progress } from './progress.ts';

export interface FileSummary {
  file: string;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  ms: number;
}

async function schemaExists(pool: Pool, name: string): Promise<boolean> {
  const { rowCount } = await pool.query('select 1 from pg_namespace where nspname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

/** Every audited job runs under the warehouse lock and leaves one row in audit.runs. */
export async function audited<T>(ctx: Context, command: string, dataDir: string | null, job: (runId: number) => Promise<T>): Promise<{ runId: number; result: T }> {
  return withWarehouseLock(ctx.db.pool, async () => {
    // A multi-step job (an Airflow full refresh) may have reserved the warehouse between its steps.
    await assertNoOtherReservation(ctx.db.pool, ctx.config.jobId);
    await closeAbandonedRuns(ctx.db.pool);
    const runId = await startRun(ctx.db.pool, command, dataDir);
    ctx.log.info({ runId, command, dataDir }, 'run started');
    try {
      const result = await job(runId);
      await finishRun(ctx.db.pool, runId, { summary: result });
      return { runId, result };
    } catch (err) {
      // A job stopped by a signal says so first; what it was doing at that moment follows.
      const why = interruptReason();
      const step = (err as { step?: string }).step;
      const failure = why
        ? new InterruptedError(`stopped: ${why} (${err instanceof InterruptedError ? `during ${step ?? command}` : describeError(err)})`, { cause: err })
        : err;
      await finishRun(ctx.db.pool, runId, { error: describeError(failure) }).catch((e: Error) =>
        ctx.log.error({ err: e, runId }, 'could not close the run row (the next job marks it abandoned)'),
      );
      throw failure;
    }
  });
}

export async function ingestStep(ctx: Context, runId: number, dataDir: string, progress: Progress): Promise<FileSummary[]> {
  throwIfInterrupted();
  return withStep('ingest', async () => {
  const results: FileLoadResult[] = await ingestToBuild(ctx.db.pool, {
    runId,
    dataDir,
    log: ctx.log.child({ runId }),
    onFileStart: (spec, bytes) => progress.start(spec.fileName, bytes),
    onProgress: (spec, bytes) => progress.advance(spec.fileName, bytes),
    onFileDone: (r) => progress.done(r.fileName, `${r.rowsLoaded.toLocaleString('en-US')} loaded, ${r.rowsRejected} rejected`),
  });
  return results.map((r) => ({ file: r.fileName, rowsRead: r.rowsRead, rowsLoaded: r.rowsLoaded, rowsRejected: r.rowsRejected, ms: r.durationMs }));
  });
}

/** Every staged schema, raw first. */
const STAGED_SCHEMAS = [RAW_BUILD_SCHEMA, ...MODEL_LAYERS.map(buildSchema)];
const REDO = 'rerun `olist ingest` then `olist transform` (or `olist run`)';

/** Builds the models from the staged raw layer when one is waiting, else from the published one. */
export async function transformStep(ctx: Context, runId: number, progress: Progress): Promise<ModelResult[]> {
  throwIfInterrupted();
  return withStep('transform', async () => {
  // A raw layer left by a killed or failed ingest is never built on.
  const raw = await assertNotIncomplete(ctx.db.pool, RAW_BUILD_SCHEMA, 'rerun `olist ingest` (or `olist run`) before `olist transform`');
  const sourceSchema = raw.exists ? RAW_BUILD_SCHEMA : RAW_SCHEMA;
  const models = await loadModels();
  progress.start('models', models.length);
  const results = await buildModels(ctx.db.pool, models, {
    sourceSchema,
    runId,
    log: ctx.log.child({ runId }),
    onModelDone: (r) => progress.advance('models', 1, `${r.layer}.${r.model}`),
  });
  progress.done('models', `${results.length} models built`);
  return results;
  });
}

/** The staged schemas waiting to be published, in publish order. */
async function stagedLayers(pool: Pool): Promise<{ published: string; build: string }[]> {
  const layers = [RAW_SCHEMA, ...MODEL_LAYERS].map((l) => ({ published: l, build: l === RAW_SCHEMA ? RAW_BUILD_SCHEMA : buildSchema(l) }));
  const staged = [];
  for (const l of layers) if (await schemaExists(pool, l.build)) staged.push(l);
  return staged;
}

export async function checkStep(ctx: Context, runId: number, staged: boolean): Promise<GateOutcome> {
  throwIfInterrupted();
  return withStep('check', async () => {
    if (staged) for (const schema of STAGED_SCHEMAS) await assertNotIncomplete(ctx.db.pool, schema, REDO);
    return runQualityGate(ctx.db.pool, { runId, staged, logicalDate: ctx.config.logicalDate, log: ctx.log.child({ runId, step: 'check' }) });
  });
}

export class GateFailedError extends Error {}

/** The verdict a gate recorded on exactly the staged build waiting now, if any. */
export interface RecordedGate {
  runId: number;
  passed: boolean;
  checks: number;
  failed: number;
  warned: number;
}

/**
 * `olist check --staged` records its verdict under its run id; every staged layer records the run
 * that completed it (its schema comment). Runs are serial (the warehouse lock) and ids increase, so
 * a gate run later than every staged layer's run checked exactly the build that is staged now:
 * any later ingest or transform would carry a larger id. Returns the newest such gate.
 */
export async function recordedGate(pool: Pool, buildSchemas: readonly string[]): Promise<RecordedGate | undefined> {
  let newestBuild = 0;
  for (const schema of buildSchemas) {
    const state = await stagedState(pool, schema);
    if (!state.exists) continue;
    if (!state.complete || state.runId === null) return undefined;
    newestBuild = Math.max(newestBuild, state.runId);
  }
  if (newestBuild === 0) return undefined;
  const { rows } = await pool.query<{ run_id: string; passed: boolean; checks: number; failed: number; warned: number }>(
    `select run_id, passed, checks, failed, warned from audit.quality_gates
      where staged and run_id > $1 order by run_id desc limit 1`,
    [newestBuild],
  );
  const g = rows[0];
  return g ? { runId: Number(g.run_id), passed: g.passed, checks: g.checks, failed: g.failed, warned: g.warned } : undefined;
}

/**
 * Swaps every staged layer in one transaction, only behind a passing quality gate on this very
 * staged build: the one passed in (`olist run`), else the verdict `olist check --staged` recorded
 * for it (so an orchestrated gate -> publish runs the checks once), else the gate is run here. A
 * recorded failing verdict refuses at once. A staged raw layer without its models is never
 * published alone unless it is all there is (ingest-only), so raw and warehouse never disagree.
 */
export async function publishStep(
  ctx: Context,
  runId: number,
  gate?: GateOutcome,
): Promise<{ layers: string[]; gate: { passed: boolean; checks: number; runId: number; reused: boolean }; rows: Record<string, number> }> {
  throwIfInterrupted();
  return withStep('publish', async () => {
  for (const schema of STAGED_SCHEMAS) await assertNotIncomplete(ctx.db.pool, schema, REDO);
  const layers = await stagedLayers(ctx.db.pool);
  if (layers.length === 0) throw new Error('nothing is staged to publish: run `olist ingest` and `olist transform` first');
  const modelsStaged = layers.some((l) => l.published !== RAW_SCHEMA);
  const recorded = gate ? undefined : await recordedGate(ctx.db.pool, STAGED_SCHEMAS);
  if (recorded && !recorded.passed) {
    throw new GateFailedError(`quality gate of run ${recorded.runId} failed on this staged build (${recorded.failed} error-level check(s)), nothing published; see \`olist report --run ${recorded.runId}\``);
  }
  let verdict: { passed: boolean; checks: number; runId: number; reused: boolean };
  if (recorded) {
    ctx.log.info({ runId, step: 'publish', gateRun: recorded.runId }, 'publishing behind the gate recorded for this staged build');
    verdict = { passed: true, checks: recorded.checks, runId: recorded.runId, reused: true };
  } else {
    const outcome = gate ?? (await checkStep(ctx, runId, true));
    if (!outcome.passed) {
      throw new GateFailedError(`quality gate failed, nothing published: ${outcome.failedErrors.join('; ')}`);
    }
    verdict = { passed: true, checks: outcome.results.length, runId, reused: false };
  }
  const modelRows = modelsStaged ? await countRows(ctx.db.pool, layers.filter((l) => l.published !== RAW_SCHEMA).map((l) => l.build)) : {};
  throwIfInterrupted();
  await publishLayers(ctx.db.pool, layers, async (client) => {
    // Last chance to stop: after this the swap commits.
    throwIfInterrupted();
    await client.query('insert into audit.publications (run_id, models, model_rows, gate_run_id) values ($1, $2, $3, $4)', [
      runId, Object.keys(modelRows).length, JSON.stringify(modelRows), verdict.runId,
    ]);
  }, { log: ctx.log, policy: ctx.config.publishLock });
  ctx.log.info({ runId, step: 'publish', layers: layers.map((l) => l.published) }, 'published');
  return { layers: layers.map((l) => l.published), gate: verdict, rows: modelRows };
  });
}

async function countRows(pool: Pool, schemas: string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind = 'r' order by 1, 2`,
    [schemas],
  );
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const { rows: c } = await pool.query<{ n: string }>(`select count(*) as n from ${ident(r.schema)}.${ident(r.name)}`);
    counts[`${r.schema.replace(/_build$/, '')}.${r.name}`] = Number(c[0]!.n);
  }
  return counts;
}
