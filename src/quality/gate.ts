import { ident, type Pool } from '../db/connection.ts';
import { stagedState } from '../db/staged.ts';
import { throwIfInterrupted } from '../db/interrupt.ts';
import { RAW_BUILD_SCHEMA, RAW_SCHEMA } from '../ingest/ingest.ts';
import type { Logger } from '../log.ts';
import { SOURCES, type SourceSpec, versionsOf, versionsTableName } from '../sources/index.ts';
import { buildSchema } from '../transform/build.ts';
import type { BatchDeltas, BatchWants } from '../transform/deltas.ts';
import { loadModels, MODEL_LAYERS, type Model } from '../transform/models.ts';
import { fuse } from './compile.ts';
import { modelChecks } from './modelChecks.ts';
import { sourceChecks } from './sourceChecks.ts';
import type { CheckEnv, CheckJob, CheckLayer, CheckMeta, CheckOutcome, CheckResult, GateOutcome, TouchedKeys } from './types.ts';

export type { CheckResult, GateOutcome, Severity } from './types.ts';

/** Schema names a check reads, resolved for the staged build or the published warehouse. */
export type Schemas = Record<CheckLayer, string>;

type Queryable = Pick<Pool, 'query'>;

/** Kinds of the raw contract checks that re-assert, row by row, what ingest validation enforced (and the load accounting). */
const RAW_ROW_KINDS = new Set(['not_null', 'accepted_values', 'range', 'expression', 'reconcile']);

export interface GateOptions {
  runId: number;
  /** Check the staged build (`*_build` schemas, falling back per layer to the published one). */
  staged: boolean;
  log: Logger;
  /** YYYY-MM-DD; default: the newest purchase date of the raw orders. */
  logicalDate?: string;
  /** Where logicalDate comes from (default 'configured'): a feed batch passes its own day. */
  logicalDateSource?: 'configured' | 'batch';
  /** Check queries run at the same time (each on its own pooled connection). */
  concurrency?: number;
  /**
   * Run the checks and store the results on this connection (a feed batch checks its own
   * uncommitted transaction), one check at a time.
   */
  client?: Queryable;
  /** The raw layer is the feed's accumulated state, not one file load: skip the load-accounting comparison. */
  incremental?: boolean;
  /**
   * Run only the checks of these tables (raw source names and model names): a feed batch checks
   * what it changed; the tables it did not touch keep the results of the batch that last did.
   */
  targets?: ReadonlySet<string>;
  /**
   * Feed batches: per table (raw source or model name), the temporary table holding the keys of the
   * rows the batch touched. Error-level row and uniqueness checks of those tables look at these rows only.
   */
  touched?: ReadonlyMap<string, TouchedKeys>;
  /** Feed batches: what the batch's writers measured of the tables they changed (batchMeasures says what to measure). */
  deltas?: BatchDeltas;
  /** For tests: other specs/models than the project's. */
  sources?: readonly SourceSpec[];
  models?: readonly Model[];
}

async function existingSchemas(pool: Pool): Promise<Set<string>> {
  const { rows } = await pool.query<{ nspname: string }>('select nspname from pg_namespace');
  return new Set(rows.map((r) => r.nspname));
}

export async function resolveSchemas(pool: Pool, staged: boolean): Promise<Schemas> {
  const have = await existingSchemas(pool);
  const pick = (published: string, build: string) => (staged && have.has(build) ? build : published);
  return {
    raw: pick(RAW_SCHEMA, RAW_BUILD_SCHEMA),
    staging: pick('staging', buildSchema('staging')),
    warehouse: pick('warehouse', buildSchema('warehouse')),
    marts: pick('marts', buildSchema('marts')),
  };
}

/**
 * The run whose file loads produced the raw layer being checked: the latest load when the staged
 * raw_build is checked, else the latest load published (at or before the latest publication).
 */
async function loadRunFor(pool: Pool, rawSchema: string): Promise<number | null> {
  // The ingest that wrote a raw layer records its run on the schema (src/db/staged.ts).
  const marked = await stagedState(pool, rawSchema);
  if (marked.exists && marked.complete && marked.runId !== null) return marked.runId;
  const { rows } = await pool.query<{ run_id: string | null }>(
    rawSchema === RAW_BUILD_SCHEMA
      ? 'select max(run_id) as run_id from audit.file_loads'
      : `with load as (select max(run_id) as run_id from audit.file_loads where run_id <= (select coalesce(max(run_id), 0) from audit.publications))
         select run_id from load where not exists (select 1 from audit.feed_batches b where b.run_id > load.run_id)`,
  );
  return rows[0]?.run_id == null ? null : Number(rows[0].run_id);
}

async function defaultLogicalDate(pool: Pool, rawSchema: string): Promise<string> {
  try {
    const { rows } = await pool.query<{ d: string | null }>(`select max(order_purchase_timestamp)::date::text as d from ${ident(rawSchema)}.orders`);
    if (rows[0]?.d) return rows[0].d;
  } catch {
    // no raw orders yet: fall through to today
  }
  return new Date().toISOString().slice(0, 10);
}

/** Every declared check: derived from the source specs, then the `-- @test:` lines of the models. */
export async function collectChecks(opts: { sources?: readonly SourceSpec[]; models?: readonly Model[] } = {}): Promise<CheckJob[]> {
  const models = opts.models ?? (await loadModels());
  return fuse([...sourceChecks(opts.sources ?? SOURCES), ...modelChecks(models)]);
}

/**
 * The failing rows of `checks` as the last gate that ran each left them on the warehouse as it is:
 * the gate run of the latest publication (src/pipeline/steps.ts records it), or a feed batch
 * committed after that publication (a batch's results commit with its data). A result of another
 * rule, or one whose check could not run, is not carried.
 */
async function previousCounts(q: Pick<Pool, 'query'>, checks: readonly CheckMeta[]): Promise<Map<string, { failingRows: number; details: Record<string, unknown> | null }>> {
  if (checks.length === 0) return new Map();
  const { rows } = await q.query<{ name: string; failing_rows: string; details: Record<string, unknown> | null }>(
    `with pub as (select run_id, gate_run_id from audit.publications order by run_id desc limit 1)
     select c.name, r.failing_rows, r.details
       from unnest($1::text[], $2::text[]) c(name, rule)
       cross join lateral (
         select r.failing_rows, r.rule, r.details from audit.quality_results r
          where r.check_name = c.name
            and (r.run_id = (select gate_run_id from pub)
                 or r.run_id in (select b.run_id from audit.feed_batches b where b.run_id > coalesce((select run_id from pub), 0)))
          order by r.run_id desc limit 1) r
      where r.rule = c.rule and r.details->>'error' is null`,
    [checks.map((c) => c.name), checks.map((c) => c.rule)],
  );
  return new Map(rows.map((r) => [r.name, { failingRows: Number(r.failing_rows), details: r.details }]));
}

/** What a feed batch's writers measure and keep for the checks (CheckJob.measures, CheckJob.keeps), per table: BatchDeltas' input. */
export async function batchMeasures(opts: { sources?: readonly SourceSpec[]; models?: readonly Model[] } = {}): Promise<BatchWants> {
  const jobs = await collectChecks(opts);
  const gather = (pairs: { table: string; values: readonly string[] }[]): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const { table, values } of pairs) out.set(table, [...new Set([...(out.get(table) ?? []), ...values])]);
    return out;
  };
  return {
    exprs: gather(jobs.flatMap((j) => j.measures ?? []).map((m) => ({ table: m.table, values: [m.expr] }))),
    columns: gather(jobs.flatMap((j) => j.keeps ?? []).map((k) => ({ table: k.table, values: k.columns }))),
  };
}

/**
 * Runs every check (independent queries, a few at a time on the pool) and stores the results in
 * audit.quality_results with one insert. `passed` is false when an error-level check fails, or a
 * check cannot run at all: the caller must not publish.
 */
export async function runQualityGate(poolOrNull: Pool, opts: GateOptions): Promise<GateOutcome> {
  const started = performance.now();
  // Checks only ever call query(): a client in a transaction serves as well as the pool.
  const pool = (opts.client ?? poolOrNull) as Pool;
  const models = opts.models ?? (await loadModels());
  const all = await collectChecks({ sources: opts.sources, models });
  // a reconciliation also runs when its other side changed, unless it is declared on a view (which
  // cannot have missed a partition)
  const views = new Set(models.filter((m) => m.materialized === 'view').map((m) => m.name));
  const jobs = (opts.targets ? all.filter((j) => j.checks.some((c) => opts.targets!.has(c.target) || (c.reads !== undefined && opts.targets!.has(c.reads) && !views.has(c.target)))) : all)
    // A feed batch's raw rows were validated by the same spec a moment ago, row by row; re-reading
    // the whole raw table for the same per-row rules would cost more than the batch. The table-level
    // raw checks (keys, relationships) still run.
    .filter((j) => !(opts.incremental && j.checks.every((c) => c.layer === 'raw' && RAW_ROW_KINDS.has(c.kind))));
  const names = new Set<string>();
  for (const m of jobs.flatMap((j) => j.checks)) {
    if (names.has(m.name)) throw new Error(`two checks are named '${m.name}' (${m.declaredIn}): give one a name=...`);
    names.add(m.name);
  }

  const schemas = await resolveSchemas(pool, opts.staged);
  const { rows: loaded } = await pool.query<{ n: number }>(
    'select count(*)::int as n from unnest($1::text[]) t where to_regclass(t) is not null',
    [(opts.sources ?? SOURCES).map((s) => `${ident(schemas.raw)}.${ident(s.name)}`)],
  );
  if (loaded[0]!.n === 0) throw new Error(`nothing to check: no loaded data in schema ${schemas.raw} (run \`olist run\` or \`olist ingest\` first)`);
  const layerOf = new Map(models.map((m) => [m.name, m.layer]));
  // a versioned source's history table (raw.<name>_versions) is a source too
  const sourceNames = new Set((opts.sources ?? SOURCES).flatMap((s) => [s.name, ...(versionsOf(s) ? [versionsTableName(s)] : [])]));
  const table: CheckEnv['table'] = (rel) => {
    const asModel = rel.type !== 'source' && layerOf.has(rel.name);
    if (asModel) return `${ident(schemas[layerOf.get(rel.name)!])}.${ident(rel.name)}`;
    if (rel.type !== 'ref' && sourceNames.has(rel.name)) return `${ident(schemas.raw)}.${ident(rel.name)}`;
    throw new Error(`${rel.type}('${rel.name}') names no ${rel.type === 'source' ? 'source' : 'model'}`);
  };
  const logicalDate = opts.logicalDate ?? (await defaultLogicalDate(pool, schemas.raw));
  const loadRunId = opts.incremental ? null : await loadRunFor(pool, schemas.raw);
  const env: CheckEnv = {
    table,
    logicalDate,
    logicalDateSource: opts.logicalDate ? (opts.logicalDateSource ?? 'configured') : 'newest purchase',
    loadRunId,
    validatedLoad: loadRunId !== null && loadRunId === opts.runId,
    touched: opts.touched ? (rel) => opts.touched!.get(rel.name) : undefined,
    // what the batch changed is in targets (a source's history table changes with it: unknown here;
    // a view changes with what it reads)
    unchanged: opts.touched && opts.targets
      ? (rel) => !opts.targets!.has(rel.name) && (rel.type === 'source' ? (opts.sources ?? SOURCES).some((s) => s.name === rel.name) : layerOf.has(rel.name) && !views.has(rel.name))
      : undefined,
    delta: opts.deltas ? (rel, expr) => opts.deltas!.get(rel.name, expr) : undefined,
    moved: opts.deltas ? (rel) => opts.deltas!.rows(rel.name) : undefined,
    previous: opts.deltas ? ((counts) => (check: CheckMeta) => counts.get(check.name))(await previousCounts(pool, jobs.flatMap((j) => j.checks).filter((c) => c.severity === 'warn'))) : undefined,
  };

  const results: CheckResult[] = [];
  const queue = [...jobs].sort((a, b) => (b.weight ?? 1) - (a.weight ?? 1));
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      throwIfInterrupted();
      const t0 = performance.now();
      let outcomes: CheckOutcome[];
      try {
        outcomes = await job.run(pool, env);
      } catch (err) {
        // A check that cannot run cannot vouch for the data: it fails whatever its severity.
        const msg = (err as Error).message;
        outcomes = job.checks.map(() => ({ failingRows: 0, sample: [], note: `check could not run: ${msg}`, details: { error: msg } }));
      }
      // A fused scan's time is shared among its checks, so summing duration_ms over a run gives
      // the total query time of the gate (wall time with concurrency: audit.quality_gates).
      const elapsed = performance.now() - t0;
      const ms = Math.round(elapsed / job.checks.length);
      job.checks.forEach((meta, i) => {
        const o = outcomes[i]!;
        const broken = o.details?.error !== undefined;
        const status = broken ? 'fail' : o.failingRows === 0 ? 'pass' : meta.severity === 'error' ? 'fail' : 'warn';
        results.push({ ...meta, status, failingRows: o.failingRows, sample: o.sample, note: o.note, details: o.details, durationMs: ms });
      });
    }
  };
  await Promise.all(Array.from({ length: opts.client ? 1 : Math.max(1, opts.concurrency ?? 2) }, worker));
  const layerIndex = (l: string) => ['raw', ...MODEL_LAYERS].indexOf(l);
  results.sort((a, b) => layerIndex(a.layer) - layerIndex(b.layer) || a.target.localeCompare(b.target) || a.name.localeCompare(b.name));

  const durationMs = Math.round(performance.now() - started);
  await storeGateResults(pool, opts.runId, opts.staged, logicalDate, durationMs, results);
  for (const r of results) {
    if (r.status !== 'pass') opts.log.warn({ check: r.name, status: r.status, failing_rows: r.failingRows, note: r.note }, 'quality check');
  }
  // Whole-load checks (volume, reconciliation) say in words what failed; row checks give counts.
  const said = (r: CheckResult) => (r.note && r.details?.error ? r.note : r.kind === 'volume' || r.kind === 'reconcile' ? r.sample[0] : undefined);
  const failedErrors = results.filter((r) => r.status === 'fail').map((r) => `${r.name} (${r.failingRows} failing${said(r) ? `: ${said(r)}` : ''})`);
  const outcome = { passed: failedErrors.length === 0, results, failedErrors, logicalDate, durationMs };
  opts.log.info({ step: 'check', checks: results.length, failed: failedErrors.length, warned: results.filter((r) => r.status === 'warn').length, ms: durationMs }, 'quality gate');
  return outcome;
}

/** Stores a gate's results (exported so a refused feed batch can record them after its rollback). */
export async function storeGateResults(pool: Pool, runId: number, staged: boolean, logicalDate: string, durationMs: number, results: CheckResult[]): Promise<void> {
  const rows = results.map((r) => ({
    check_name: r.name, layer: r.layer, severity: r.severity, status: r.status, failing_rows: r.failingRows,
    sample_keys: r.sample, description: r.description, duration_ms: r.durationMs, kind: r.kind, target: r.target,
    rule: r.rule, declared_in: r.declaredIn, note: r.note ?? null, details: r.details ?? null,
  }));
  await pool.query(
    `with gate as (
       insert into audit.quality_gates (run_id, staged, passed, logical_date, checks, failed, warned, duration_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (run_id) do update set staged = excluded.staged, passed = excluded.passed, logical_date = excluded.logical_date,
         checks = excluded.checks, failed = excluded.failed, warned = excluded.warned, duration_ms = excluded.duration_ms, checked_at = clock_timestamp()
       returning run_id)
     insert into audit.quality_results (run_id, check_name, layer, severity, status, failing_rows, sample_keys, description, duration_ms,
                                        kind, target, rule, declared_in, note, details)
     select (select run_id from gate), r.check_name, r.layer, r.severity, r.status, r.failing_rows, coalesce(r.sample_keys, '[]'), r.description,
            r.duration_ms, r.kind, r.target, r.rule, r.declared_in, r.note, r.details
       from jsonb_to_recordset($9::jsonb) as r(check_name text, layer text, severity text, status text, failing_rows bigint, sample_keys jsonb,
            description text, duration_ms integer, kind text, target text, rule text, declared_in text, note text, details jsonb)
     on conflict (run_id, check_name) do update set layer = excluded.layer, severity = excluded.severity, status = excluded.status,
       failing_rows = excluded.failing_rows, sample_keys = excluded.sample_keys, description = excluded.description,
       duration_ms = excluded.duration_ms, kind = excluded.kind, target = excluded.target, rule = excluded.rule,
       declared_in = excluded.declared_in, note = excluded.note, details = excluded.details, checked_at = clock_timestamp()`,
    [runId, staged, results.every((r) => r.status !== 'fail'), logicalDate, results.length,
     results.filter((r) => r.status === 'fail').length, results.filter((r) => r.status === 'warn').length, durationMs, JSON.stringify(rows)],
  );
}

export { MODEL_LAYERS };
