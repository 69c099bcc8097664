/**
 * `olist run --incremental`: applies the pending batches of the landing directory to the published
 * warehouse, in feed order, each exactly once and each in one transaction:
 *
 *   check files against the manifest -> validate and quarantine (the full load's ingest, into a
 *   scratch schema) -> BEGIN -> merge into raw (merge.ts) -> update the models in place
 *   (transform/incremental.ts) -> quality gate on the uncommitted state -> ledger row -> COMMIT
 *
 * Readers see the warehouse before or after a batch, never half of one; a batch that fails at any
 * step changes nothing and leaves no ledger row, so the next run tries it again. The caller holds
 * the warehouse lock for the whole job.
 */
import { finishRun, startRun } from '../audit/runs.ts';
import { ident, type Pool } from '../db/connection.ts';
import { ingestToBuild, RAW_SCHEMA } from '../ingest/ingest.ts';
import { analyzeTemporary, tableStatistics, vacuumTables } from '../db/statistics.ts';
import { describeError, withStep } from '../db/failure.ts';
import { throwIfInterrupted } from '../db/interrupt.ts';
import { keepParseWorkersIdle } from '../ingest/parseWorkers.ts';
import type { FileLoadResult } from '../ingest/loadFile.ts';
import type { Logger } from '../log.ts';
import { batchMeasures, runQualityGate, storeGateResults } from '../quality/gate.ts';
import { BatchDeltas, type BatchWants } from '../transform/deltas.ts';
import type { TouchedKeys } from '../quality/types.ts';
import { sourceByName, SOURCES, versionsOf, versionsTableName } from '../sources/index.ts';
import { applyModels, changedTable, collectScopesBefore, createTouchedTables, ensureUniquesPerStatement, touchedScope, type ModelChange } from '../transform/incremental.ts';
import type { Model } from '../transform/models.ts';
import { FEED_SOURCE_ORDER } from './cut.sql.ts';
import { BatchError, listBatches, verifyBatchFiles, type LandedBatch } from './manifest.ts';
import { applySource, createChangedTables, ensureRawKeyIndexes, measureMerge, prepareSource, type SourceMerge } from './merge.ts';

/** work_mem of a batch transaction (the recomputed partitions sort and hash in memory). */
const BATCH_WORK_MEM = '128MB';
/**
 * A batch reads a few thousand rows of tables of millions, which the last batches left in memory.
 * At the default 4 (a disk seek per index probe) the planner read whole tables and hashed them to
 * find them (a check of 256 people read all 59,000 rows of orders_per_person: 26 ms). A day at
 * scale 10, median of three: 27.9 -> 24.5 s, the merge 4.0 -> 2.2 s (docs/benchmarks.md).
 */
const BATCH_RANDOM_PAGE_COST = 1.1;

export class BatchRefusedError extends BatchError {}

export interface BatchOutcome {
  batchId: string;
  runId: number;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsParked: number;
  rowsStale: number;
  ms: number;
  phases: { loadMs: number; mergeMs: number; modelsMs: number; gateMs: number };
  files: { file: string; rowsRead: number; rowsLoaded: number; rowsRejected: number }[];
  models: ModelChange[];
  gate: { checks: number; warnings: number };
  /** Tables the batch rewrote a large share of: analyzed in it, vacuumed after its commit (src/db/statistics.ts). */
  analyzed: string[];
}

export interface FeedRunResult {
  applied: BatchOutcome[];
  /** Batches found again whose id and checksum the ledger already has (delivered twice). */
  alreadyApplied: string[];
  /** Set when a batch waits for an earlier one that has not arrived. */
  waiting?: { batchId: string; missing: string };
  pending: string[];
}

export interface ApplyOptions {
  landingDir: string;
  models: readonly Model[];
  log: Logger;
  allowGaps?: boolean;
  /** Apply only these batches, in feed order (and fail if one is not there or must wait). */
  batchIds?: readonly string[];
  /** Stop after this many batches. */
  maxBatches?: number;
  onBatch?: (b: BatchOutcome) => void;
}

interface LedgerRow {
  batch_id: string;
  manifest_checksum: string;
}

async function ledger(pool: Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<LedgerRow>('select batch_id, manifest_checksum from audit.feed_batches');
  return new Map(rows.map((r) => [r.batch_id, r.manifest_checksum]));
}

/** The landed batches not in the ledger yet, in order (for `status`). */
export async function pendingBatches(pool: Pool, landingDir: string): Promise<LandedBatch[]> {
  const applied = await ledger(pool);
  return (await listBatches(landingDir)).filter((b) => !applied.has(b.manifest.batchId));
}

export async function applyPendingBatches(pool: Pool, opts: ApplyOptions): Promise<FeedRunResult> {
  const applied = await ledger(pool);
  const result: FeedRunResult = { applied: [], alreadyApplied: [], pending: [] };
  const batches = await listBatches(opts.landingDir);
  const only = opts.batchIds && opts.batchIds.length > 0 ? new Set(opts.batchIds) : undefined;
  for (const id of only ?? []) {
    if (!batches.some((b) => b.manifest.batchId === id)) {
      throw new BatchError(id, `no complete batch with this id in ${opts.landingDir} (a folder without manifest.json is still being written)`);
    }
  }
  // A batch's files go through PostgreSQL's CSV parser: a parse thread is needed only for a file it
  // declines (a hand-edited correction, say). None is started ahead, since starting one (~0.5 s
  // of CPU under tsx) on a machine of two cores slowed every batch that did not need it by a
  // tenth; once one was needed, it is kept for the rest of the run.
  keepParseWorkersIdle(60_000);
  await ensureRawKeyIndexes(pool, SOURCES, opts.models);
  await ensureUniquesPerStatement(pool, opts.models);
  const measures = await batchMeasures({ models: opts.models });
  for (const batch of batches) {
    const { batchId, checksum, previous } = batch.manifest;
    const known = applied.get(batchId);
    if (known === checksum) {
      result.alreadyApplied.push(batchId);
      continue;
    }
    if (known !== undefined) {
      throw new BatchRefusedError(
        batchId,
        `refused: ${batch.dir} reuses the id of a batch already applied with another content (manifest checksum ${checksum.slice(0, 12)}.., ledger has ${known.slice(0, 12)}..); a correction must come as a new batch`,
      );
    }
    if (only && !only.has(batchId)) continue;
    if (opts.maxBatches !== undefined && result.applied.length >= opts.maxBatches) break;
    if (previous !== null && !applied.has(previous) && !opts.allowGaps) {
      result.waiting = { batchId, missing: previous };
      if (only) throw new BatchError(batchId, `waits for batch ${previous}, which has not been applied (use --allow-gaps to apply it anyway)`);
      break;
    }
    throwIfInterrupted(); // a stop request between batches ends the run before the next one
    const outcome = await applyBatch(pool, batch, opts, measures);
    applied.set(batchId, checksum);
    result.applied.push(outcome);
    opts.onBatch?.(outcome);
  }
  result.pending = batches.map((b) => b.manifest.batchId).filter((id) => !applied.has(id));
  return result;
}

async function applyBatch(pool: Pool, batch: LandedBatch, opts: ApplyOptions, measures: BatchWants): Promise<BatchOutcome> {
  const started = performance.now();
  const { batchId } = batch.manifest;
  const log = opts.log.child({ batch: batchId });
  await verifyBatchFiles(batch);
  const runId = await startRun(pool, 'apply-batch', batch.dir);
  await pool.query('update audit.runs set batch_id = $2 where run_id = $1', [runId, batchId]);
  const scratch = `feed_batch_${process.pid}`;
  try {
    // A database error names the batch it happened in (BatchErrors already do).
    const outcome = await withStep(`batch ${batchId}`, () => applyInTransaction(pool, batch, runId, scratch, opts.models, new BatchDeltas(measures), log));
    // committed: a vacuum that fails costs the next batches speed, never this batch's data
    await vacuumTables(pool, outcome.analyzed).catch((err: Error) => log.warn({ step: 'vacuum', tables: outcome.analyzed, error: err.message }, 'vacuum after the batch failed'));
    outcome.ms = Math.round(performance.now() - started);
    await pool.query('update audit.feed_batches set duration_ms = $2 where batch_id = $1', [batchId, outcome.ms]);
    await finishRun(pool, runId, { summary: { batchId, rowsRead: outcome.rowsRead, rowsLoaded: outcome.rowsLoaded, rowsRejected: outcome.rowsRejected, ms: outcome.ms } });
    log.info({ step: 'apply', rows_read: outcome.rowsRead, rows_rejected: outcome.rowsRejected, ms: outcome.ms }, 'batch applied');
    return outcome;
  } catch (err) {
    await finishRun(pool, runId, { error: describeError(err) }).catch(() => undefined);
    throw err;
  } finally {
    await pool.query(`drop schema if exists ${ident(scratch)} cascade`).catch(() => undefined);
  }
}

/** Where the gate finds the keys of the rows this batch wrote: changed_<source> and touched_<model>. */
function touchedKeys(models: readonly Model[], changedSources: ReadonlySet<string>, changes: readonly ModelChange[]): Map<string, TouchedKeys> {
  const out = new Map<string, TouchedKeys>();
  for (const source of changedSources) {
    const spec = sourceByName(source);
    // a change source is upserted by key (merge.ts): a key never leaves it; a reference file replaces its table
    out.set(source, { table: changedTable(source), columns: [...spec.primaryKey], keysKept: spec.feed.kind === 'changes' });
  }
  for (const c of changes) {
    const m = models.find((x) => x.name === c.model);
    if (m && c.touched > 0 && (c.strategy === 'partitions' || c.strategy === 'whole' || c.strategy === 'additive')) out.set(m.name, touchedScope(m));
  }
  return out;
}

async function applyInTransaction(pool: Pool, batch: LandedBatch, runId: number, scratch: string, models: readonly Model[], deltas: BatchDeltas, log: Logger): Promise<BatchOutcome> {
  const m = batch.manifest;
  const t0 = performance.now();
  // 1. Validate and quarantine exactly as the full load does, into a scratch schema.
  const specs = m.files.map((f) => sourceByName(f.source));
  let loads: FileLoadResult[] = [];
  if (specs.length > 0) {
    loads = await ingestToBuild(pool, { runId, dataDir: batch.dir, log, sources: specs, schema: scratch, recordLoads: false, resolveDuplicates: false, prestartWorkers: false });
  } else {
    await pool.query(`drop schema if exists ${ident(scratch)} cascade; create schema ${ident(scratch)}`);
  }
  for (const f of m.files) {
    const load = loads.find((l) => l.source === f.source)!;
    if (load.rowsRead !== f.rows) {
      throw new BatchError(m.batchId, `${f.name}: read ${load.rowsRead} rows, the manifest announces ${f.rows}`);
    }
  }
  const t1 = performance.now();
  const inBatch = new Set(specs.map((s) => s.name));
  const order = FEED_SOURCE_ORDER.map(sourceByName);

  const client = await pool.connect();
  let gateOutcome: Awaited<ReturnType<typeof runQualityGate>> | undefined;
  try {
    await client.query('begin');
    await client.query(`set local work_mem = '${BATCH_WORK_MEM}'`);
    await client.query(`set local random_page_cost = ${BATCH_RANDOM_PAGE_COST}`);
    await client.query('set constraints all deferred');
    // 2. Decide the raw changes; let the model scopes see the warehouse before them; write them.
    await createChangedTables(client, order);
    await createTouchedTables(client, models, deltas);
    const merges: SourceMerge[] = [];
    for (const spec of order) merges.push(await prepareSource(client, spec, scratch, m.batchId, inBatch.has(spec.name)));
    await analyzeTemporary(client, order.map((spec) => changedTable(spec.name))); // the scopes join them to the models
    await collectScopesBefore(client, models);
    const measureMerged = await measureMerge(client, order, merges, deltas);
    for (const [i, spec] of order.entries()) await applySource(client, spec, scratch, merges[i]!);
    await measureMerged();
    const rawStatistics = await tableStatistics(client, [RAW_SCHEMA]);
    for (const [i, spec] of order.entries()) {
      await rawStatistics.refreshIfStale(RAW_SCHEMA, spec.name, merges[i]!.changed);
      if (versionsOf(spec)) await rawStatistics.refreshIfStale(RAW_SCHEMA, versionsTableName(spec), merges[i]!.versions ?? 0);
    }
    const t2 = performance.now();
    // 3. The models, in place, partition by partition.
    const changedSources = new Set(merges.filter((x) => x.changed > 0).map((x) => x.source));
    // A model reading a source's history (`source('sellers_versions')`) is upstream of it too.
    const changedRaw = new Set([...changedSources, ...[...changedSources].filter((x) => versionsOf(sourceByName(x))).map((x) => versionsTableName({ name: x }))]);
    const changes = await applyModels(client, models, changedRaw, deltas);
    const t3 = performance.now();
    // 4. The gate on the uncommitted state: an error-level failure refuses the batch.
    const targets = new Set([...changedSources, ...changes.filter((c) => c.touched > 0).map((c) => c.model)]);
    gateOutcome = targets.size === 0
      ? { passed: true, results: [], failedErrors: [], logicalDate: '', durationMs: 0 }
      : await runQualityGate(pool, {
        runId, staged: false, client, incremental: true, targets, touched: touchedKeys(models, changedSources, changes), deltas, log: log.child({ step: 'check' }),
        // the batch's own day is the run's logical date, as Airflow's is of a daily run: freshness
        // then says whether the feed still brings new orders (the newest purchase of raw, the
        // default, is fresh by definition, and costs a scan of every order)
        ...(m.periodStart ? { logicalDate: m.periodStart.slice(0, 10), logicalDateSource: 'batch' as const } : {}),
      });
    throwIfInterrupted(); // last moment to stop: nothing of the batch is committed yet
    if (!gateOutcome.passed) throw new BatchRefusedError(m.batchId, `refused by the quality gate, nothing applied: ${gateOutcome.failedErrors.join('; ')}`);
    const t4 = performance.now();

    const analyzedModels = models.filter((x) => changes.some((c) => c.model === x.name && c.analyzed)).map((x) => `${ident(x.layer)}.${ident(x.name)}`);
    const files = loads.map((l) => ({ file: l.fileName, rowsRead: l.rowsRead, rowsLoaded: l.rowsLoaded, rowsRejected: l.rowsRejected }));
    const sum = (k: 'rowsRead' | 'rowsLoaded' | 'rowsRejected') => files.reduce((a, f) => a + f[k], 0);
    const outcome: BatchOutcome = {
      batchId: m.batchId, runId,
      rowsRead: sum('rowsRead'), rowsLoaded: sum('rowsLoaded'), rowsRejected: sum('rowsRejected'),
      rowsParked: merges.reduce((a, x) => a + x.parked, 0), rowsStale: merges.reduce((a, x) => a + x.stale, 0),
      ms: 0,
      phases: { loadMs: Math.round(t1 - t0), mergeMs: Math.round(t2 - t1), modelsMs: Math.round(t3 - t2), gateMs: Math.round(t4 - t3) },
      files, models: changes,
      gate: { checks: gateOutcome.results.length, warnings: gateOutcome.results.filter((r) => r.status === 'warn').length },
      analyzed: [...rawStatistics.analyzed, ...analyzedModels],
    };
    // 5. The ledger row commits with the data it describes.
    await client.query(
      `insert into audit.feed_batches (batch_id, manifest_checksum, seq, previous_batch, period_start, run_id,
         rows_read, rows_loaded, rows_rejected, rows_parked, rows_stale, duration_ms, details)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [m.batchId, m.checksum, m.seq, m.previous, m.periodStart, runId, outcome.rowsRead, outcome.rowsLoaded, outcome.rowsRejected,
       outcome.rowsParked, outcome.rowsStale, Math.round(performance.now() - t0),
       JSON.stringify({ files, merges, models: changes.filter((c) => c.strategy !== 'skipped' && c.strategy !== 'view'), phases: outcome.phases })],
    );
    await client.query('commit');
    return outcome;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    // A refused batch still explains itself: its check results are kept (outside the rolled-back transaction).
    if (gateOutcome && !gateOutcome.passed) {
      await storeGateResults(pool, runId, false, gateOutcome.logicalDate, gateOutcome.durationMs, gateOutcome.results).catch(() => undefined);
    }
    throw err;
  } finally {
    client.release();
  }
}
