/**
 * `npm run bench`: for each scale, the COPY floor, our ingest, our full run (CSV to published
 * marts), peak RSS, the pandas + SQLAlchemy baseline, and their ratios against the goals
 * (run <= 6x floor, ingest <= 3x floor and >= 10x faster than pandas, RSS <= 512 MB). Also the generator's speed and
 * the cost of the quality gate inside the run. See docs/benchmarks.md.
 *
 * Flags: --scales 1,10   --runs N (median of N)   --skip-pandas   --pandas-scales 1,10
 *        --data-dir DIR (scale-1 Kaggle files)   --python PATH   --no-generator-speed
 *        --quiet-load L --quiet-wait S (before each measurement wait up to S s for load avg < L)
 *        --feed-scales 1,10 (the daily feed, bench/feed.ts)   --feed-only   --no-feed   --no-feed-replay
 *        --feed-week YYYY-MM-DD (first day of the typical week, default 2018-03-05)
 *        --no-feed-floor (skip the write floor of each day, bench/feedFloor.ts)
 *        --no-warehouse-floor (skip the write floor of the published warehouse, bench/warehouseFloor.ts)
 *        --profile-models (after the runs, each model built alone under EXPLAIN ANALYZE, bench/modelProfile.ts)
 *        --server-url URL (a second server, e.g. a default-configured PostgreSQL: the floor, ingest
 *        and run are measured there too, right after the first server's, with their own ratios)
 *
 * It runs against the warehouse of OLIST_HOME (default <tmp>/olist-bench, embedded server on
 * OLIST_PG_PORT, default 54361) or DATABASE_URL, and REPLACES what is published there.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { redacted } from '../src/db/connection.ts';
import { copyFloor, probeModes, type FloorResult } from './copyFloor.ts';
import { warehouseFloor, type WarehouseFloor } from './warehouseFloor.ts';
import { feedBench, feedGoals } from './feed.ts';
import type { ModelProfile } from './modelProfile.ts';
import { execFileSync } from 'node:child_process';
import { loadAverage, measure, median, parseJsonOut, parseLogs, serverCpuSeconds, waitForQuiet, type LogLine, type Measured } from './measure.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'olist.js');
const SEED = 42;
/** The full-load speed issue's goals: run and ingest against the floor, ingest against pandas (the same work: files to tables), memory. */
const GOALS = { runOverFloor: 6, ingestOverFloor: 3, pandasOverIngest: 10, rssMb: 512 };
const KAGGLE_FILES = [
  'olist_customers_dataset.csv', 'olist_geolocation_dataset.csv', 'olist_order_items_dataset.csv',
  'olist_order_payments_dataset.csv', 'olist_order_reviews_dataset.csv', 'olist_orders_dataset.csv',
  'olist_products_dataset.csv', 'olist_sellers_dataset.csv', 'product_category_name_translation.csv',
];

// ---------------------------------------------------------------------------------------------
// options and environment

interface Options {
  scales: number[];
  runs: number;
  skipPandas: boolean;
  pandasScales: number[] | null;
  dataDir: string | null;
  python: string | null;
  generatorSpeed: boolean;
  quietLoad: number;
  quietWaitS: number;
  feedScales: number[];
  feedOnly: boolean;
  feedReplay: boolean;
  /** The write floor of each day of the week (bench/feedFloor.ts; a bigger scale's thinned days). */
  feedFloor: boolean;
  feedWeek: string;
  /** A second server (e.g. a default-configured PostgreSQL) to measure the floor, ingest and run on too. */
  serverUrl: string | null;
  /** After the runs, the write floor of the published warehouse (bench/warehouseFloor.ts). */
  warehouseFloor: boolean;
  /** After the runs, build every model once more, one at a time, under EXPLAIN ANALYZE (bench/modelProfile.ts). */
  profileModels: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { scales: [1, 10], runs: 1, skipPandas: false, pandasScales: null, dataDir: null, python: null, generatorSpeed: true, quietLoad: 1, quietWaitS: 120, feedScales: [1, 10], feedOnly: false, feedReplay: true, feedFloor: true, feedWeek: '2018-03-05', serverUrl: null, profileModels: false, warehouseFloor: true };
  const nums = (v: string | undefined, flag: string): number[] => {
    const xs = (v ?? '').split(',').map(Number);
    if (xs.length === 0 || xs.some((x) => !(x > 0))) throw new Error(`${flag} wants a comma-separated list of positive numbers`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--scales': o.scales = nums(value(), flag); break;
      case '--runs': o.runs = Math.max(1, Math.floor(Number(value()))); break;
      case '--skip-pandas': o.skipPandas = true; break;
      case '--pandas-scales': o.pandasScales = nums(value(), flag); break;
      case '--data-dir': o.dataDir = path.resolve(value()); break;
      case '--python': o.python = value(); break;
      case '--no-generator-speed': o.generatorSpeed = false; break;
      case '--quiet-load': o.quietLoad = Number(value()); break;
      case '--quiet-wait': o.quietWaitS = Number(value()); break;
      case '--feed-scales': o.feedScales = nums(value(), flag); break;
      case '--feed-only': o.feedOnly = true; break;
      case '--no-feed': o.feedScales = []; break;
      case '--no-feed-replay': o.feedReplay = false; break;
      case '--no-feed-floor': o.feedFloor = false; break;
      case '--no-warehouse-floor': o.warehouseFloor = false; break;
      case '--feed-week': o.feedWeek = value(); break;
      case '--server-url': o.serverUrl = value(); break;
      case '--profile-models': o.profileModels = true; break;
      case '--help': case '-h':
        process.stdout.write(
          'usage: npm run bench -- [--scales 1,10] [--runs N] [--skip-pandas] [--pandas-scales 1] [--data-dir DIR] [--python PATH] [--no-generator-speed]\n' +
            '         [--quiet-load 1] [--quiet-wait 120] [--feed-scales 1,10] [--feed-only] [--no-feed] [--no-feed-replay] [--feed-week YYYY-MM-DD]\n' +
            '         [--server-url postgres://user@host:port/db]  (also measure floor, ingest and run there; the database is created if missing)\n' +
            '         [--profile-models]  (then each model alone under EXPLAIN (ANALYZE, BUFFERS): select, each key/index, analyze)\n',
        );
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown flag ${a} (try --help)`);
    }
  }
  if (!Number.isFinite(o.runs)) throw new Error('--runs wants a number');
  return o;
}

const HOME = path.resolve(process.env.OLIST_HOME ?? path.join(os.tmpdir(), 'olist-bench'));
const CHILD_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  OLIST_HOME: HOME,
  OLIST_PG_PORT: process.env.OLIST_PG_PORT ?? '54361',
  LOG_LEVEL: 'info',
};

function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

async function cli(args: string[], env: NodeJS.ProcessEnv = CHILD_ENV): Promise<Measured> {
  const m = await measure(process.execPath, [CLI, '--json', ...args], { env, cwd: ROOT });
  if (m.code !== 0) throw new Error(`olist ${args.join(' ')} exited ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return m;
}

async function databaseUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const m = await cli(['db', 'start']);
  return parseJsonOut<{ url: string }>(m.stdout).url;
}

/** Creates the --server-url database when it does not exist (the bench replaces what it holds anyway). */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!name) throw new Error('--server-url must name a database');
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      say(`creating database ${name} on ${redacted(url)}`);
      await c.query(`create database "${name.replaceAll('"', '""')}"`);
    }
  } finally {
    await c.end();
  }
}

function findKaggleDir(explicit: string | null): string | null {
  const candidates = explicit ? [explicit] : [
    process.env.OLIST_DATA_DIR && path.resolve(process.env.OLIST_DATA_DIR),
    path.join(ROOT, 'data', 'olist'),
    path.join(ROOT, '..', 'shared', 'data', 'olist'),
  ].filter((d): d is string => Boolean(d));
  return candidates.find((d) => KAGGLE_FILES.every((f) => existsSync(path.join(d, f)))) ?? null;
}

// ---------------------------------------------------------------------------------------------
// datasets (generated ones are cached in OLIST_HOME/bench-data with how long they took)

interface Generation {
  scale: number;
  seed: number;
  dir: string;
  rows: number;
  bytes: number;
  wallMs: number;
  /** The generator's own elapsed time (without process start-up). */
  generatorMs: number | null;
  rowsPerSec: number;
  peakRssMb: number | null;
  cached: boolean;
  measuredAt: string;
  /** Commit of the generator that was timed. */
  code?: string | null;
}

async function generated(scale: number): Promise<Generation> {
  const dir = path.join(HOME, 'bench-data', `scale-${scale}-seed-${SEED}`);
  const meta = path.join(dir, '.bench-generation.json');
  if (existsSync(meta) && KAGGLE_FILES.every((f) => existsSync(path.join(dir, f)))) {
    return { ...(JSON.parse(await fs.readFile(meta, 'utf8')) as Generation), dir, cached: true };
  }
  say(`  generating scale ${scale} (seed ${SEED}) into ${dir} ...`);
  await fs.rm(dir, { recursive: true, force: true });
  const m = await cli(['generate', '--scale', String(scale), '--seed', String(SEED), '--out', dir]);
  const s = parseJsonOut<{ totalRows: number; totalBytes: number; elapsedMs?: number }>(m.stdout);
  const g: Generation = {
    scale, seed: SEED, dir, rows: s.totalRows, bytes: s.totalBytes, wallMs: m.ms, generatorMs: s.elapsedMs ?? null,
    rowsPerSec: Math.round(s.totalRows / ((s.elapsedMs ?? m.ms) / 1000)), peakRssMb: m.peakRssMb, cached: false,
    measuredAt: new Date().toISOString(), code: gitState().commit,
  };
  await fs.writeFile(meta, JSON.stringify(g, null, 2));
  return g;
}

// ---------------------------------------------------------------------------------------------
// contenders

interface FileTime { file: string; rows: number; ms: number }
interface ModelTime { model: string; rows: number; ms: number }

interface OurRun {
  ms: number;
  /** CPU seconds of the CLI process (user + system; the server's work is not in it). */
  cpuS: number | null;
  /** CPU seconds the server spent during the command (bench/measure.ts serverCpuSeconds; null when not local). */
  serverCpuS: number | null;
  /** 1-minute load average before and after. */
  load: [number, number];
  /** What the CLI itself reports (`seconds`), without node start-up. */
  internalMs: number | null;
  peakRssMb: number | null;
  files: FileTime[];
  models: ModelTime[];
  /** Wall time of each step, from the CLI's log timestamps. */
  phases: Record<string, number>;
  gateMs: number | null;
  gateChecksMs: number | null;
  /** Sum of the checks' durations per layer (they run concurrently, so this is work, not wall time). */
  gateLayers: Record<string, { checks: number; ms: number }>;
  runId: number;
}

/**
 * Wall time of each step of a CLI run, from its JSON log lines (pino `time`, epoch ms):
 * start-up (spawn to 'run started': node, connection, migrations, lock), ingest (to the start of
 * the first model: the files and what follows them), transform (to the last 'model built'),
 * check (to 'quality gate'), publish (to 'published') and finish (to the process's exit).
 * A step whose marker is missing (an ingest-only run) is left out.
 */
function phasesOf(logs: LogLine[], startedAt: number, endedAt: number): Record<string, number> {
  const times = (msg: string): number[] => logs.filter((l) => l.msg === msg).map((l) => l.time);
  const first = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);
  const last = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
  const models = logs.filter((l) => l.msg === 'model built');
  const runStarted = first(times('run started'));
  const transformStart = first(models.map((l) => l.time - (l.ms ?? 0)));
  const ingestEnd = transformStart ?? last(times('file loaded'));
  const marks: [string, number | null][] = [
    ['startup', runStarted],
    ['ingest', ingestEnd],
    ['transform', last(models.map((l) => l.time))],
    ['check', last(times('quality gate')) ?? last(times('quality check'))],
    ['publish', last(times('published'))],
  ];
  const p: Record<string, number> = {};
  let t = startedAt;
  for (const [name, end] of marks) {
    if (end === null) continue;
    p[name] = Math.max(0, end - t);
    t = end;
  }
  p['finish'] = Math.max(0, endedAt - t);
  return p;
}

/** What the gate's checks took, per layer (sum of audit.quality_results.duration_ms: checks run two at a time). */
async function gateByLayer(url: string, runId: number): Promise<Record<string, { checks: number; ms: number }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ layer: string; checks: number; ms: string }>(
      `select layer, count(*)::int as checks, sum(duration_ms)::text as ms from audit.quality_results where run_id = $1
        group by layer order by array_position(array['raw', 'staging', 'warehouse', 'marts'], layer::text), layer`,
      [runId],
    );
    return Object.fromEntries(rows.map((r) => [r.layer, { checks: r.checks, ms: Number(r.ms) }]));
  } catch {
    return {};
  } finally {
    await c.end();
  }
}

async function gateTime(url: string, runId: number): Promise<number | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ ms: string | null }>('select sum(duration_ms)::text as ms from audit.quality_results where run_id = $1', [runId]);
    return rows[0]?.ms == null ? null : Number(rows[0].ms);
  } catch {
    return null;
  } finally {
    await c.end();
  }
}

async function checkpoint(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('checkpoint');
  } finally {
    await c.end();
  }
}

/**
 * Empties the bench's warehouse (every schema but public and the catalogs, and the migrations
 * record, so the next command starts as on a new machine): each scale is measured from the same
 * empty start. Otherwise a scale measured after a bigger one is refused by the gate (its load is
 * under half the last published one: raw.<file>.volume_collapse), and its volume checks would
 * compare it with another dataset's history.
 */
async function resetWarehouse(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ s: string }>(
      `select quote_ident(nspname) as s from pg_namespace where nspname not in ('public', 'information_schema') and nspname not like 'pg\\_%'`,
    );
    await c.query([...rows.map((r) => `drop schema ${r.s} cascade;`), 'drop table if exists public.schema_migrations;'].join('\n'));
  } finally {
    await c.end();
  }
}

/** A server the bench measures on: the embedded one (or DATABASE_URL), and the optional --server-url. */
interface Target {
  name: string;
  url: string;
  /** The CLI's environment for this server (DATABASE_URL set for a server of our own choosing). */
  env: NodeJS.ProcessEnv;
}

async function ourCommand(target: Target, command: 'ingest' | 'run', dataDir: string): Promise<OurRun> {
  const url = target.url;
  await checkpoint(url);
  const env = { ...target.env, OLIST_DATA_DIR: dataDir };
  const cpuBefore = await serverCpuSeconds(url).catch(() => null);
  const m = await cli(command === 'ingest' ? ['ingest', '--data-dir', dataDir] : ['run'], env);
  const out = parseJsonOut<{ runId: number; seconds?: number; files: { file: string; rowsLoaded: number; ms: number }[] }>(m.stdout);
  const logs = parseLogs(m.stderr);
  const models = logs.filter((l) => l.msg === 'model built').map((l) => ({ model: l.model ?? '?', rows: l.rows ?? 0, ms: l.ms ?? 0 }));
  const checks = logs.filter((l) => l.msg === 'quality check');
  const phases = phasesOf(logs, m.startedAt, m.startedAt + m.ms);
  const cpuAfter = cpuBefore === null ? null : await serverCpuSeconds(url).catch(() => null);
  return {
    ms: m.ms,
    cpuS: m.cpuS,
    serverCpuS: cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) * 100) / 100,
    load: m.load,
    internalMs: out.seconds === undefined ? null : Math.round(out.seconds * 1000),
    peakRssMb: m.peakRssMb,
    files: out.files.map((f) => ({ file: f.file, rows: f.rowsLoaded, ms: f.ms })),
    models,
    phases,
    gateChecksMs: command === 'run' ? await gateTime(url, out.runId) ?? (checks.length ? checks.reduce((s, l) => s + (l.ms ?? 0), 0) : null) : null,
    gateMs: command === 'run' ? phases['check'] ?? null : null,
    gateLayers: command === 'run' ? await gateByLayer(url, out.runId) : {},
    runId: out.runId,
  };
}

interface PandasResult {
  seconds: number;
  rows: number;
  peak_rss_mb: number;
  files: { file: string; rows: number; read_s: number; write_s: number }[];
  versions: Record<string, string>;
  wallMs: number;
  load: [number, number];
}

function pythonPath(explicit: string | null): string | null {
  const candidates = [explicit, process.env.OLIST_BENCH_PYTHON, path.join(ROOT, '.venv', 'bin', 'python')].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

async function pandasBaseline(python: string, url: string, files: string[]): Promise<PandasResult> {
  const m = await measure(python, [path.join(ROOT, 'bench', 'pandasBaseline.py'), '--url', url, '--files', ...files], { cwd: ROOT });
  if (m.code !== 0) throw new Error(`pandas baseline exited ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ...parseJsonOut<Omit<PandasResult, 'wallMs' | 'load'>>(m.stdout), wallMs: m.ms, load: m.load };
}

// ---------------------------------------------------------------------------------------------
// one scale

interface ScaleResult {
  scale: number;
  /** Which server: 'embedded' (or 'DATABASE_URL') or the --server-url one. */
  server: string;
  data: { dir: string; kind: 'kaggle' | 'generated'; bytes: number; rows: number | null; linesModeFiles: Record<string, string> };
  generation: Generation | null;
  floor: { stdin: (FloorResult & { load: [number, number] })[]; server: (FloorResult & { load: [number, number] })[]; serverError?: string };
  ingest: OurRun[];
  run: OurRun[];
  pandas: PandasResult | null;
  pandasNote?: string;
  profile: ModelProfile[] | null;
  summary: Summary;
  warehouseFloor: WarehouseFloor | null;
}

interface Summary {
  floorS: number;
  floorServerS: number | null;
  ingestS: number;
  runS: number;
  runInternalS: number | null;
  runOverFloor: number;
  ingestOverFloor: number;
  pandasS: number | null;
  pandasOverRun: number | null;
  pandasOverIngest: number | null;
  peakRssMb: number | null;
  ingestPeakRssMb: number | null;
  pandasPeakRssMb: number | null;
  gateS: number | null;
  gateChecksS: number | null;
  floorMBps: number;
  runRowsPerSec: number;
  /** The published warehouse's write floor (bench/warehouseFloor.ts) and it against the COPY floor. */
  warehouseFloorS: number | null;
  warehouseFloorOverFloor: number | null;
}

const sec = (ms: number): number => Math.round(ms) / 1000;
const loadNote = (l: [number, number]): string => ` (load ${l[0].toFixed(2)} -> ${l[1].toFixed(2)})`;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const medianOf = <T>(xs: T[], f: (x: T) => number | null): number | null => {
  const v = xs.map(f).filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};

async function benchScale(scale: number, opts: Options, target: Target, python: string | null, kaggleDir: string | null, first: boolean): Promise<ScaleResult> {
  const url = target.url;
  say(`\n== scale ${scale}, ${target.name} ==`);
  let generation: Generation | null = null;
  let dir: string;
  let kind: 'kaggle' | 'generated';
  if (scale === 1 && kaggleDir) {
    dir = kaggleDir;
    kind = 'kaggle';
    if (opts.generatorSpeed && first) generation = await generated(1).catch((e: Error) => (say(`  generator failed: ${e.message}`), null));
  } else {
    generation = await generated(scale);
    dir = generation.dir;
    kind = 'generated';
  }
  if (generation) say(`  generator: scale ${scale}, ${generation.rows.toLocaleString('en-US')} rows in ${sec(generation.generatorMs ?? generation.wallMs)} s = ${generation.rowsPerSec.toLocaleString('en-US')} rows/s${generation.cached ? ' (cached measurement)' : ''}`);
  const files = KAGGLE_FILES.map((f) => path.join(dir, f));
  const bytes = (await Promise.all(files.map((f) => fs.stat(f)))).reduce((s, st) => s + st.size, 0);
  say(`  data: ${dir} (${kind}, ${(bytes / 1e6).toFixed(0)} MB)`);

  await resetWarehouse(url);
  const probe = await probeModes(url, files);
  for (const [f, e] of Object.entries(probe.errors)) say(`  floor: PostgreSQL CSV rejects ${f} (${e}); it is floored in lines mode`);

  const quiet = (): Promise<number> => (opts.quietWaitS > 0 ? waitForQuiet(opts.quietLoad, opts.quietWaitS * 1000, say) : Promise.resolve(loadAverage()));
  const floorStdin: (FloorResult & { load: [number, number] })[] = [];
  const floorServer: (FloorResult & { load: [number, number] })[] = [];
  let serverError: string | undefined;
  const ingest: OurRun[] = [];
  const run: OurRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const tag = opts.runs > 1 ? ` (${i + 1}/${opts.runs})` : '';
    let before = await quiet();
    const fs1 = { ...(await copyFloor(url, files, 'stdin', probe)), load: [before, loadAverage()] as [number, number] };
    floorStdin.push(fs1);
    say(`  floor COPY FROM STDIN${tag}: ${sec(fs1.ms)} s, ${fs1.rows.toLocaleString('en-US')} rows${loadNote(fs1.load)}`);
    if (!serverError) {
      try {
        before = await quiet();
        const fs2 = { ...(await copyFloor(url, files, 'server', probe)), load: [before, loadAverage()] as [number, number] };
        floorServer.push(fs2);
        say(`  floor COPY FROM file${tag}: ${sec(fs2.ms)} s${loadNote(fs2.load)}`);
      } catch (e) {
        serverError = (e as Error).message;
        say(`  floor COPY FROM file: not measured (${serverError})`);
      }
    }
    await quiet();
    const ing = await ourCommand(target, 'ingest', dir);
    ingest.push(ing);
    say(`  olist ingest${tag}: ${sec(ing.ms)} s, peak RSS ${ing.peakRssMb} MB, CPU ${ing.cpuS} s, server CPU ${ing.serverCpuS ?? '-'} s${loadNote(ing.load)}`);
    await quiet();
    const rn = await ourCommand(target, 'run', dir);
    run.push(rn);
    say(`  olist run${tag}: ${sec(rn.ms)} s, peak RSS ${rn.peakRssMb} MB, CPU ${rn.cpuS} s, server CPU ${rn.serverCpuS ?? '-'} s, gate ${rn.gateMs} ms${loadNote(rn.load)}`);
  }

  // What the run's result alone costs to write (its tables, keys, foreign keys and indexes, from
  // rows saved beforehand): the part of the goal no reading, validating or computing can save.
  let written: WarehouseFloor | null = null;
  if (opts.warehouseFloor) {
    await quiet();
    written = await warehouseFloor(url).catch((e: Error) => (say(`  warehouse write floor: not measured (${e.message})`), null));
    if (written) say(`  warehouse write floor: ${sec(written.ms)} s (create + COPY ${sec(written.phases.copyMs)}, keys and indexes ${sec(written.phases.keysMs)}, foreign keys ${sec(written.phases.foreignKeysMs)}) for ${written.tables} tables, about ${written.rows.toLocaleString('en-US')} rows, ${(written.bytes / 1e6).toFixed(0)} MB (${Object.entries(written.bySchema).map(([k, v]) => `${k} ${v.rows.toLocaleString('en-US')} rows ${(v.bytes / 1e6).toFixed(0)} MB`).join(', ')})`);
  }

  let pandas: PandasResult | null = null;
  let pandasNote: string | undefined;
  const wantPandas = first && !opts.skipPandas && (opts.pandasScales ?? opts.scales).includes(scale);
  if (!wantPandas) pandasNote = opts.skipPandas ? 'skipped (--skip-pandas)' : !first ? 'measured on the first server only' : 'not in --pandas-scales';
  else if (!python) pandasNote = 'no Python environment: run scripts/setup-python.sh (or pass --python / OLIST_BENCH_PYTHON)';
  else {
    say(`  pandas baseline (${python}) ...`);
    await checkpoint(url);
    await quiet();
    pandas = await pandasBaseline(python, url, files);
    say(`  pandas read_csv + to_sql: ${pandas.seconds} s, peak RSS ${pandas.peak_rss_mb} MB${loadNote(pandas.load)}`);
  }
  if (pandasNote) say(`  pandas: ${pandasNote}`);
  let profile: ModelProfile[] | null = null;
  if (opts.profileModels) {
    say('  profiling each model alone (EXPLAIN ANALYZE) ...');
    await quiet();
    // Loaded only when asked for: it builds with the transform's own code (src/transform/build.ts).
    profile = await (await import('./modelProfile.ts')).profileModels(url);
  }

  const floorMs = median(floorStdin.map((f) => f.ms));
  const runMs = median(run.map((r) => r.ms));
  const ingestMs = median(ingest.map((r) => r.ms));
  const rows = floorStdin[0]?.rows ?? 0;
  const summary: Summary = {
    floorS: sec(floorMs),
    floorServerS: floorServer.length ? sec(median(floorServer.map((f) => f.ms))) : null,
    ingestS: sec(ingestMs),
    runS: sec(runMs),
    runInternalS: (() => { const v = medianOf(run, (r) => r.internalMs); return v === null ? null : sec(v); })(),
    runOverFloor: r2(runMs / floorMs),
    ingestOverFloor: r2(ingestMs / floorMs),
    pandasS: pandas ? pandas.seconds : null,
    pandasOverRun: pandas ? r2((pandas.seconds * 1000) / runMs) : null,
    pandasOverIngest: pandas ? r2((pandas.seconds * 1000) / ingestMs) : null,
    peakRssMb: medianOf(run, (r) => r.peakRssMb),
    ingestPeakRssMb: medianOf(ingest, (r) => r.peakRssMb),
    pandasPeakRssMb: pandas ? pandas.peak_rss_mb : null,
    gateS: (() => { const v = medianOf(run, (r) => r.gateMs); return v === null ? null : sec(v); })(),
    gateChecksS: (() => { const v = medianOf(run, (r) => r.gateChecksMs); return v === null ? null : sec(v); })(),
    floorMBps: Math.round(bytes / 1e6 / (floorMs / 1000)),
    runRowsPerSec: Math.round(rows / (runMs / 1000)),
    warehouseFloorS: written ? sec(written.ms) : null,
    warehouseFloorOverFloor: written ? r2(written.ms / floorMs) : null,
  };
  return {
    scale,
    server: target.name,
    data: { dir, kind, bytes, rows, linesModeFiles: probe.errors },
    generation,
    floor: { stdin: floorStdin, server: floorServer, serverError },
    ingest, run, pandas, pandasNote, profile, summary, warehouseFloor: written,
  };
}

// ---------------------------------------------------------------------------------------------
// report

function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (x: number | null, digits = 1, suffix = ''): string => (x === null ? '-' : `${x.toFixed(digits)}${suffix}`);
const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'MET' : 'MISSED');

function report(results: ScaleResult[], runs: number, git: { commit: string | null; dirty: string[] }, profileReport: ((p: ModelProfile[]) => string) | null): string {
  const out: string[] = [];
  const multi = new Set(results.map((r) => r.server)).size > 1;
  const label = (r: ScaleResult): string => `scale ${r.scale} (${r.data.kind === 'kaggle' ? 'Kaggle' : 'generated'}, ${r.data.rows?.toLocaleString('en-US')} rows)${multi ? `, ${r.server}` : ''}`;
  out.push(`olist-warehouse benchmark — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}${runs > 1 ? `, median of ${runs} runs` : ''}`);
  out.push(`code: ${git.commit ?? 'unknown commit'}${git.dirty.length ? ` + uncommitted: ${git.dirty.map((l) => l.slice(3)).join(' ')}` : ''}`);
  out.push('');
  out.push(table(
    results.map((r) => {
      const s = r.summary;
      return [
        label(r), fmt(s.floorS), fmt(s.floorServerS), fmt(s.ingestS), `${fmt(s.ingestOverFloor, 2)}x`, fmt(s.runS), `${fmt(s.runOverFloor, 2)}x`,
        fmt(s.pandasS), s.pandasOverRun === null ? '-' : `${fmt(s.pandasOverRun, 2)}x`,
        s.pandasOverIngest === null ? '-' : `${fmt(s.pandasOverIngest, 2)}x`,
        fmt(s.peakRssMb, 0), fmt(s.gateS, 2),
      ];
    }),
    ['dataset', 'floor s', 'floor(file) s', 'ingest s', 'ingest/floor', 'run s', 'run/floor', 'pandas s', 'pandas/run', 'pandas/ingest', 'peak RSS MB', 'gate s'],
  ));
  out.push('');
  out.push('floor = client COPY FROM STDIN of the 9 files into UNLOGGED all-text tables (2 connections); floor(file) = server-side COPY FROM file.');
  out.push('ingest/run = `olist ingest` / `olist run` wall time as child processes (node start-up included); peak RSS of the CLI process (server excluded).');
  out.push('gate = wall time of the quality-gate step inside `olist run`.');
  out.push('');
  out.push(`goals: run <= ${GOALS.runOverFloor}x floor | ingest <= ${GOALS.ingestOverFloor}x floor | ingest >= ${GOALS.pandasOverIngest}x faster than pandas | peak RSS <= ${GOALS.rssMb} MB`);
  for (const r of results) {
    const s = r.summary;
    out.push(
      `  scale ${r.scale}${multi ? ` (${r.server})` : ''}: run/floor ${fmt(s.runOverFloor, 2)}x ${verdict(s.runOverFloor <= GOALS.runOverFloor)}` +
        ` | ingest/floor ${fmt(s.ingestOverFloor, 2)}x ${verdict(s.ingestOverFloor <= GOALS.ingestOverFloor)}` +
        ` | pandas/ingest ${s.pandasOverIngest === null ? '-' : `${fmt(s.pandasOverIngest, 2)}x`} ${verdict(s.pandasOverIngest === null ? null : s.pandasOverIngest >= GOALS.pandasOverIngest)}` +
        ` (pandas/run ${s.pandasOverRun === null ? '-' : `${fmt(s.pandasOverRun, 2)}x`})` +
        ` | RSS ${fmt(s.peakRssMb, 0)} MB ${verdict(s.peakRssMb === null ? null : s.peakRssMb <= GOALS.rssMb)}`,
    );
    if (s.warehouseFloorOverFloor !== null) out.push(`    the warehouse's own write floor is ${fmt(s.warehouseFloorOverFloor, 2)}x the COPY floor, of the ${GOALS.runOverFloor}x the run may take (bench/warehouseFloor.ts)`);
  }
  const gens = results.map((r) => r.generation).filter((g): g is Generation => g !== null);
  if (gens.length) {
    out.push('');
    out.push(table(
      gens.map((g) => [`scale ${g.scale}`, g.rows.toLocaleString('en-US'), (g.bytes / 1e6).toFixed(0), fmt(sec(g.generatorMs ?? g.wallMs)), fmt(sec(g.wallMs)), g.rowsPerSec.toLocaleString('en-US'), fmt(g.peakRssMb, 0), g.cached ? `cached (${g.measuredAt.slice(0, 10)})` : 'now']),
      ['generator', 'rows', 'MB', 'gen s', 'wall s', 'rows/s', 'peak RSS MB', 'measured'],
    ));
  }
  for (const r of results) {
    const run = r.run[Math.floor(r.run.length / 2)]!;
    const ingest = r.ingest[Math.floor(r.ingest.length / 2)]!;
    const floor = r.floor.stdin[Math.floor(r.floor.stdin.length / 2)]!;
    const pandasByFile = new Map(r.pandas?.files.map((f) => [f.file, f]) ?? []);
    const ingestByFile = new Map(ingest.files.map((f) => [f.file, f]));
    out.push('');
    out.push(`-- scale ${r.scale}${multi ? `, ${r.server}` : ''}: where the time goes (load ${run.load[0].toFixed(2)} -> ${run.load[1].toFixed(2)}) --`);
    out.push(`run phases (s): ${Object.entries(run.phases).map(([k, v]) => `${k} ${sec(v)}`).join(', ')}`);
    out.push(`CPU s (CLI / server): ingest ${fmt(ingest.cpuS, 2)} / ${fmt(ingest.serverCpuS, 2)}, run ${fmt(run.cpuS, 2)} / ${fmt(run.serverCpuS, 2)}` +
      (run.serverCpuS !== null && ingest.serverCpuS !== null ? ` (server CPU of the run beyond the ingest: ${fmt(run.serverCpuS - ingest.serverCpuS, 2)})` : '') +
      ' — steadier than wall time on a busy machine; the server figure counts every session of that server');
    const layers = Object.entries(run.gateLayers);
    if (layers.length) out.push(`gate by layer (checks, s of check work; they run two at a time): ${layers.map(([l, g]) => `${l} ${g.checks} ${fmt(sec(g.ms), 2)}`).join(', ')}`);
    out.push(table(
      floor.files.map((f) => {
        const ours = run.files.find((x) => x.file === f.file);
        const p = pandasByFile.get(f.file);
        return [f.file, f.rows.toLocaleString('en-US'), (f.bytes / 1e6).toFixed(1), `${fmt(sec(f.ms), 2)}${f.mode === 'lines' ? '*' : ''}`,
          fmt(ingestByFile.get(f.file) ? sec(ingestByFile.get(f.file)!.ms) : null, 2), fmt(ours ? sec(ours.ms) : null, 2),
          fmt(p ? p.read_s + p.write_s : null, 2)];
      }),
      ['file', 'rows', 'MB', 'floor s', 'ingest s', 'run:ingest s', 'pandas s'],
    ));
    if (Object.keys(r.data.linesModeFiles).length) out.push('* loaded in lines mode: PostgreSQL\'s CSV parser rejects the file');
    out.push(table(
      [...run.models].sort((a, b) => b.ms - a.ms).map((m) => [m.model, m.rows.toLocaleString('en-US'), fmt(sec(m.ms), 2)]),
      ['model (slowest first)', 'rows', 's'],
    ));
    if (r.profile && profileReport) out.push('', `each model alone (EXPLAIN ANALYZE, so slower than in the run):`, profileReport(r.profile));
  }
  return out.join('\n');
}

function gitState(): { commit: string | null; dirty: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // What differs from the commit in the code the CLI runs (bench/ and docs/ do not count).
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'sql', 'bin', 'queries', 'package.json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean);
    return { commit, dirty };
  } catch {
    // Not a git checkout (e.g. a `git archive` snapshot benchmarked on its own): say so via env.
    return { commit: process.env.OLIST_BENCH_COMMIT ?? null, dirty: [] };
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const kaggleDir = findKaggleDir(opts.dataDir);
  const python = opts.skipPandas ? null : pythonPath(opts.python);
  say(`OLIST_HOME ${HOME}${process.env.DATABASE_URL ? ', DATABASE_URL' : `, embedded PostgreSQL on port ${CHILD_ENV.OLIST_PG_PORT}`} (what is published there is replaced)`);
  const url = await databaseUrl();
  const targets: Target[] = [{ name: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded', url, env: CHILD_ENV }];
  if (opts.serverUrl) {
    await ensureDatabase(opts.serverUrl);
    targets.push({ name: `server ${redacted(opts.serverUrl)}`, url: opts.serverUrl, env: { ...CHILD_ENV, DATABASE_URL: opts.serverUrl } });
  }
  const git = gitState();
  say(`code: ${git.commit ?? 'unknown commit'}${git.dirty.length ? ` + ${git.dirty.length} uncommitted change(s) in src/sql/bin` : ''}`);
  const results: ScaleResult[] = [];
  if (!opts.feedOnly) {
    for (const scale of opts.scales) for (const [i, t] of targets.entries()) results.push(await benchScale(scale, opts, t, python, kaggleDir, i === 0));
  }
  const feed: Record<string, unknown>[] = [];
  for (const scale of opts.feedScales) {
    const dataDir = scale === 1 && kaggleDir ? kaggleDir : (await generated(scale)).dir;
    const scale1 = feed.find((f) => f.scale === 1) as { week: { orderRows: number } } | undefined;
    feed.push(await feedBench({ root: ROOT, cli: CLI, env: CHILD_ENV, dataDir, scale, weekStart: opts.feedWeek, replay: opts.feedReplay && scale === 1, floor: opts.feedFloor, scale1WeekOrderRows: scale1?.week.orderRows, say }, url));
  }
  if (feed.length) say(feedGoals(feed));
  const text = opts.feedOnly ? '' : report(results, opts.runs, git, opts.profileModels ? (await import('./modelProfile.ts')).profileReport : null);
  process.stdout.write(`\n${text}\n`);
  const dir = path.join(HOME, 'bench');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await fs.writeFile(file, JSON.stringify({
    at: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    code: git, options: opts, goals: GOALS, results, feed,
  }, null, 2));
  process.stdout.write(`\nresults: ${file}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
