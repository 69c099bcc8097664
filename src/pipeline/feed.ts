/**
 * The daily feed's jobs as the CLI and Airflow call them: cutting a dataset into batches
 * (src/feed/simulate.ts), applying the pending batches in place (src/feed/apply.ts), and proving
 * that the result equals a full build (verify.ts).
 */
import { applyPendingBatches, type FeedRunResult, type BatchOutcome } from '../feed/apply.ts';
import { exportRejected, sealBatch, type ExportedCorrection } from '../feed/corrections.ts';
import type { Manifest } from '../feed/manifest.ts';
import { simulateFeed, type SimulateOptions, type SimulateResult } from '../feed/simulate.ts';
import { ident } from '../db/connection.ts';
import { RAW_BUILD_SCHEMA, RAW_SCHEMA } from '../ingest/ingest.ts';
import { createVersionsTable, rawTableDdl } from '../ingest/rawTable.ts';
import { SOURCES, versionsOf, versionsTableName } from '../sources/index.ts';
import { buildModels, buildSchema } from '../transform/build.ts';
import { loadModels, MODEL_LAYERS, type Model } from '../transform/models.ts';
import { publishLayers } from '../transform/publish.ts';
import type { Context } from './context.ts';

export async function simulateStep(ctx: Context, opts: Omit<SimulateOptions, 'log'>): Promise<SimulateResult> {
  return simulateFeed(ctx.db.pool, { ...opts, log: ctx.log.child({ step: 'simulate' }) });
}

async function missingTables(ctx: Context, names: string[]): Promise<string[]> {
  const { rows } = await ctx.db.pool.query<{ t: string }>('select t from unnest($1::text[]) t where to_regclass(t) is null', [names]);
  return rows.map((r) => r.t);
}

/**
 * The feed applies batches to a published warehouse. On a database that has none yet, publish an
 * empty one first (empty raw tables, every model built from them), so the very first batch (the
 * reference batch) already goes through the incremental path. Nothing is gated: there is nothing
 * to check. Returns whether it did.
 */
export async function bootstrapWarehouse(ctx: Context, runId: number, models: readonly Model[]): Promise<boolean> {
  // A warehouse published before the version histories existed gets them from its current rows
  // (one version each, as a full load gives), not an empty raw layer.
  for (const spec of SOURCES.filter(versionsOf)) {
    const [current, history] = [`${RAW_SCHEMA}.${spec.name}`, `${RAW_SCHEMA}.${versionsTableName(spec)}`];
    if ((await missingTables(ctx, [current])).length === 0 && (await missingTables(ctx, [history])).length === 1) {
      await createVersionsTable(ctx.db.pool, spec, RAW_SCHEMA);
    }
  }
  const rawTables = SOURCES.flatMap((s) => [`${RAW_SCHEMA}.${s.name}`, ...(versionsOf(s) ? [`${RAW_SCHEMA}.${versionsTableName(s)}`] : [])]);
  const modelTables = models.map((m) => `${m.layer}.${m.name}`);
  const missingRaw = await missingTables(ctx, rawTables);
  if ((await missingTables(ctx, modelTables)).length === 0 && missingRaw.length === 0) return false;
  const pool = ctx.db.pool;
  let sourceSchema = RAW_SCHEMA;
  const layers: { published: string; build: string }[] = MODEL_LAYERS.map((l) => ({ published: l, build: buildSchema(l) }));
  if (missingRaw.length > 0) {
    await pool.query(`drop schema if exists ${RAW_BUILD_SCHEMA} cascade; create schema ${RAW_BUILD_SCHEMA}`);
    for (const spec of SOURCES) {
      await pool.query(rawTableDdl(spec, RAW_BUILD_SCHEMA));
      await createVersionsTable(pool, spec, RAW_BUILD_SCHEMA);
    }
    sourceSchema = RAW_BUILD_SCHEMA;
    layers.unshift({ published: RAW_SCHEMA, build: RAW_BUILD_SCHEMA });
  }
  // The publish swaps schemas: the published ones must exist, even if someone dropped them by hand.
  await pool.query(layers.map((l) => `create schema if not exists ${ident(l.published)};`).join('\n'));
  await buildModels(pool, models, { sourceSchema, log: ctx.log.child({ runId, step: 'bootstrap' }) });
  await publishLayers(pool, layers, async (client) => {
    await client.query('insert into audit.publications (run_id, models, model_rows) values ($1, $2, $3)', [runId, models.length, '{}']);
  });
  ctx.log.info({ runId, step: 'bootstrap' }, 'published an empty warehouse for the feed to fill');
  return true;
}

export interface IncrementalOptions {
  landingDir: string;
  allowGaps?: boolean;
  batchIds?: readonly string[];
  maxBatches?: number;
  onBatch?: (b: BatchOutcome) => void;
}

/** Bootstraps if needed, then applies the pending batches (the caller holds the warehouse lock). */
export async function incrementalStep(ctx: Context, runId: number, opts: IncrementalOptions): Promise<FeedRunResult & { bootstrapped: boolean }> {
  const models = await loadModels();
  const bootstrapped = await bootstrapWarehouse(ctx, runId, models);
  const result = await applyPendingBatches(ctx.db.pool, { ...opts, models, log: ctx.log.child({ runId, step: 'apply' }) });
  return { ...result, bootstrapped };
}


/** Dead-letter replay, step one: a run's quarantined rows as an unsealed correction batch. */
export async function exportRejectedStep(ctx: Context, runId: number, landingDir: string): Promise<ExportedCorrection> {
  return exportRejected(ctx.db.pool, runId, landingDir);
}

/** Dead-letter replay, step two: seal the fixed folder so the next incremental run applies it. */
export async function sealCorrectionStep(dir: string): Promise<Manifest> {
  return sealBatch(dir);
}
