/**
 * The daily feed's benchmark (part of `npm run bench`, or alone with `--feed-only`):
 *
 * - `simulate`: time and peak RSS of cutting the dataset into daily batches;
 * - a typical week: the warehouse is brought to the state just before the week (every earlier
 *   batch concatenated into one catch-up batch, applied through the same incremental path), then
 *   the week's seven daily batches are applied one by one: median and p95 per batch, per phase;
 * - the write floor of each day (bench/feedFloor.ts): the rows the day changes, written alone,
 *   against which the day's time is read (at scale 1 the week's days, at a bigger scale the
 *   thinned ones, so the two floors compare like the two days);
 * - `--feed-replay` (scale 1): the full replay of every day from an empty warehouse, its total time
 *   against one full load of the same files, and `olist verify --data-dir` on the result.
 *
 * Figures go to docs/benchmarks.md by hand; nothing here asserts a time.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { listBatches, sha256File, writeManifest, type LandedBatch, type ManifestFile } from '../src/feed/manifest.ts';
import { measure, median, parseJsonOut, type Measured } from './measure.ts';
import { writeFloor, type FloorResult } from './feedFloor.ts';
import { thinBatch } from './thinBatch.ts';

export interface FeedBenchOptions {
  root: string;
  cli: string;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  scale: number;
  weekStart: string;
  replay: boolean;
  /** Measure each day's write floor (bench/feedFloor.ts) once the week is timed: the week's days at scale 1, the thinned days at a bigger scale. */
  floor: boolean;
  /** The order rows of the scale-1 week, when scale 1 ran first: a bigger scale thins its week to as many. */
  scale1WeekOrderRows?: number;
  say: (l: string) => void;
}

const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

async function cli(o: FeedBenchOptions, args: string[], env: NodeJS.ProcessEnv = o.env): Promise<Measured> {
  const m = await measure(process.execPath, [o.cli, '--json', ...args], { env, cwd: o.root });
  if (m.code !== 0) throw new Error(`olist ${args.join(' ')} exited ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return m;
}

/** Concatenates the files of `batches` (header once per file) into one batch folder named like the last of them. */
export async function catchUpBatch(batches: LandedBatch[], dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const files = new Map<string, { out: ReturnType<typeof createWriteStream>; rows: number; source: string }>();
  for (const b of batches) {
    for (const f of b.manifest.files) {
      let w = files.get(f.name);
      const text = await fs.readFile(path.join(b.dir, f.name), 'utf8');
      const nl = text.indexOf('\n');
      if (!w) {
        w = { out: createWriteStream(path.join(dir, f.name)), rows: 0, source: f.source };
        files.set(f.name, w);
        w.out.write(text.slice(0, nl + 1));
      }
      if (!w.out.write(text.slice(nl + 1))) await once(w.out, 'drain');
      w.rows += f.rows;
    }
  }
  const manifestFiles: ManifestFile[] = [];
  for (const [name, w] of files) {
    w.out.end();
    await once(w.out, 'finish');
    manifestFiles.push({ name, source: w.source, rows: w.rows, ...(await sha256File(path.join(dir, name))) });
  }
  const last = batches.at(-1)!.manifest;
  await writeManifest(dir, { ...last, files: manifestFiles });
}

export async function feedBench(o: FeedBenchOptions, url: string): Promise<Record<string, unknown>> {
  const home = String(o.env.OLIST_HOME);
  const landing = path.join(home, `landing-scale-${o.scale}`);
  const env = { ...o.env, OLIST_LANDING_DIR: landing };
  o.say(`feed, scale ${o.scale}: simulate ${o.dataDir}`);
  const sim = await cli(o, ['simulate', '--data-dir', o.dataDir], env);
  const simOut = parseJsonOut<{ batches: number; rows: number }>(sim.stdout);
  o.say(`  simulate: ${(sim.ms / 1000).toFixed(1)} s, ${simOut.batches} batches, ${simOut.rows} rows, peak RSS ${sim.peakRssMb} MB`);

  const reset = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('drop schema if exists raw, staging, warehouse, marts cascade; truncate audit.feed_batches, audit.parked_rows');
    await c.end();
  };

  // A typical week, on the warehouse as it stood before it.
  const all = await listBatches(landing);
  const weekIdx = all.findIndex((b) => b.manifest.batchId === o.weekStart);
  if (weekIdx < 1) throw new Error(`no batch ${o.weekStart} in the feed`);
  const week = all.slice(weekIdx, weekIdx + 7);
  const catchUpDir = path.join(home, `catch-up-scale-${o.scale}`, all[weekIdx - 1]!.manifest.batchId);
  await catchUpBatch(all.slice(0, weekIdx), catchUpDir);
  await reset();
  const catchUp = await cli(o, ['run', '--incremental', '--landing-dir', path.dirname(catchUpDir), '--allow-gaps'], env);
  o.say(`  catch-up batch (${weekIdx} days in one): ${(catchUp.ms / 1000).toFixed(1)} s, peak RSS ${catchUp.peakRssMb} MB`);
  // The week goes in a landing directory of its own: next to the feed's own batch of the catch-up's
  // id (other contents, same id), the ledger would rightly refuse to go on.
  const weekDir = path.join(home, `week-scale-${o.scale}`);
  await fs.rm(weekDir, { recursive: true, force: true });
  for (const b of week) await fs.cp(b.dir, path.join(weekDir, b.manifest.batchId), { recursive: true });
  const orderRows = (bs: LandedBatch[]) => bs.reduce((n, b) => n + b.manifest.files.filter((f) => f.source === 'orders').reduce((m, f) => m + f.rows, 0), 0);
  const weekOrderRows = orderRows(week);
  // A bigger scale measures its week twice from the same warehouse: as it comes, then thinned to
  // the scale-1 week's size (bench/thinBatch.ts), so that a day's cost is compared on warehouses
  // of two sizes with days of one size.
  const thin = o.scale > 1;
  const db = new URL(url).pathname.slice(1);
  // Copies of the warehouse before the week, all made now (a copy made just before a timed week
  // would leave it out of memory: 4.7 GB at scale 10): one for the thinned week, one for the floor.
  const kept = `${db}_before_week`;
  const keptForFloor = `${db}_before_week_floor`;
  const copies = [...(thin ? [kept] : []), ...(o.floor ? [keptForFloor] : [])];
  await adminQuery(url, copies.flatMap((c) => [`drop database if exists ${c}`, `create database ${c} template ${db}`]));
  // The warehouse as it was before the week again, from one of the copies.
  const restore = (copy: string) => adminQuery(url, [`drop database ${db} with (force)`, `alter database ${copy} rename to ${db}`]);
  const natural = await applyWeek(o, env, weekDir, week, url);
  const result: Record<string, unknown> = {
    scale: o.scale, simulateS: sim.ms / 1000, simulateRssMb: sim.peakRssMb, batches: simOut.batches,
    week: { from: week[0]!.manifest.batchId, orderRows: weekOrderRows, ...natural },
  };
  o.say(`  typical week ${week[0]!.manifest.batchId}..: ${weekOrderRows} order rows, median ${natural.medianMs} ms, p95 ${natural.p95Ms} ms per batch`);
  // The floor is measured after the week it belongs to is timed, from the copy kept before it:
  // its own copies of the warehouse would leave a week timed after them out of memory. At scale 1
  // it is the floor of the week's days; at a bigger scale that of the thinned days, which compare
  // with scale 1's.
  if (o.floor && !thin) {
    await restore(keptForFloor);
    const floor = await floorWeek(o, env, weekDir, week, url);
    result.week = { ...(result.week as object), floor };
    o.say(`  write floor of the week's days: median ${floor.medianMs} ms, p95 ${floor.p95Ms} ms; the day median ${natural.medianMs} ms = ${(natural.medianMs / floor.medianMs).toFixed(1)}x its floor`);
  }

  if (thin) {
    const share = Math.min(1, o.scale1WeekOrderRows ? o.scale1WeekOrderRows / weekOrderRows : 1 / o.scale);
    const thinDir = path.join(home, `week-thinned-scale-${o.scale}`);
    let thinRows = 0;
    for (const b of week) thinRows += (await thinBatch(b, path.join(thinDir, b.manifest.batchId), share)).orderRows;
    await restore(kept);
    const thinned = await applyWeek(o, env, thinDir, week, url);
    result.thinnedWeek = { share, orderRows: thinRows, ...thinned };
    o.say(`  the same week thinned to ${(share * 100).toFixed(1)} % of its orders (${thinRows} order rows${o.scale1WeekOrderRows ? `, scale 1: ${o.scale1WeekOrderRows}` : ''}): median ${thinned.medianMs} ms, p95 ${thinned.p95Ms} ms per batch`);
    if (o.floor) {
      await restore(keptForFloor);
      const floor = await floorWeek(o, env, thinDir, week, url);
      result.thinnedWeek = { ...(result.thinnedWeek as object), floor };
      o.say(`  write floor of the thinned days: median ${floor.medianMs} ms, p95 ${floor.p95Ms} ms; the thinned day median = ${(thinned.medianMs / floor.medianMs).toFixed(1)}x its floor`);
    }
  }

  if (o.replay) {
    await reset();
    o.say('  full replay of every day from an empty warehouse...');
    const replay = await cli(o, ['run', '--incremental'], env);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ ms: number }>('select duration_ms as ms from audit.feed_batches where seq > 0');
    await c.end();
    const days = rows.map((r) => r.ms);
    const verify = await measure(process.execPath, [o.cli, '--json', 'verify', '--data-dir', o.dataDir], { env, cwd: o.root });
    const verdict = parseJsonOut<{ equal: boolean; tables: unknown[] }>(verify.stdout);
    o.say(`  verify --data-dir: ${verdict.equal ? `all ${verdict.tables.length} tables equal a full load` : 'DIFFERENT (see olist verify)'}`);
    const full = await cli(o, ['run', '--no-generate'], { ...env, OLIST_DATA_DIR: o.dataDir });
    result.replay = { totalS: replay.ms / 1000, rssMb: replay.peakRssMb, dayMedianMs: median(days), dayP95Ms: p95(days), fullLoadS: full.ms / 1000, equal: verdict.equal };
    o.say(`  replay: ${(replay.ms / 1000).toFixed(0)} s for ${days.length} days (median ${median(days)} ms, p95 ${p95(days)} ms), peak RSS ${replay.peakRssMb} MB; one full load: ${(full.ms / 1000).toFixed(1)} s`);
  }
  return result;
}

type FloorWeek = { medianMs: number; p95Ms: number; perBatch: ({ batch: string; dayMs: number } & FloorResult)[] };

/**
 * Applies each day of the week with the feed, after copying the warehouse as it stood before the
 * day, then measures the day's write floor on that copy (bench/feedFloor.ts): the same rows
 * written alone. Leaves the warehouse at the end of the week.
 */
async function floorWeek(o: FeedBenchOptions, env: NodeJS.ProcessEnv, dir: string, week: LandedBatch[], url: string): Promise<FloorWeek> {
  const db = new URL(url).pathname.slice(1);
  const copy = `${db}_floor_before`;
  const perBatch: FloorWeek['perBatch'] = [];
  for (const b of week) {
    await adminQuery(url, [`drop database if exists ${copy}`, `create database ${copy} template ${db}`]);
    const m = await cli(o, ['run', '--incremental', '--landing-dir', dir, '--batch', b.manifest.batchId], env);
    const applied = parseJsonOut<{ applied: { batchId: string; runId: number; ms: number }[] }>(m.stdout).applied[0]!;
    const floor = await writeFloor(url, copy, db, applied.runId);
    if (!floor.equal) throw new Error(`the write floor of ${applied.batchId} did not give the warehouse the feed gave (bench/feedFloor.ts)`);
    perBatch.push({ batch: applied.batchId, dayMs: applied.ms, ...floor });
    o.say(`  floor ${applied.batchId}: ${floor.ms} ms (${Object.entries(floor.bySchema).map(([k, v]) => `${k} ${v}`).join(', ')}, the rest the commit) for ${floor.inserted} rows inserted, ${floor.updated} updated, ${floor.deleted} deleted in ${floor.tables} tables; the feed's day ${applied.ms} ms`);
  }
  await adminQuery(url, [`drop database if exists ${copy}`]);
  const ms = perBatch.map((b) => b.ms);
  return { medianMs: median(ms), p95Ms: p95(ms), perBatch };
}

type WeekResult = { medianMs: number; p95Ms: number; perBatch: { batch: string; ms: number; phases: Record<string, number> }[]; models: { model: string; medianMs: number }[] };

/**
 * Applies each batch of `week` from `dir`, one run each: per batch, its time and phases; per model,
 * its median time over the week (from the ledger), so what grows with the warehouse shows.
 */
async function applyWeek(o: FeedBenchOptions, env: NodeJS.ProcessEnv, dir: string, week: LandedBatch[], url: string): Promise<WeekResult> {
  const perBatch: { batch: string; ms: number; phases: Record<string, number> }[] = [];
  for (const b of week) {
    const m = await cli(o, ['run', '--incremental', '--landing-dir', dir, '--batch', b.manifest.batchId], env);
    const out = parseJsonOut<{ applied: { batchId: string; ms: number; phases: Record<string, number> }[] }>(m.stdout);
    const applied = out.applied[0]!;
    perBatch.push({ batch: applied.batchId, ms: applied.ms, phases: applied.phases });
    o.say(`  ${applied.batchId}: ${applied.ms} ms (${Object.entries(applied.phases).map(([k, v]) => `${k} ${v}`).join(', ')}), CLI peak RSS ${m.peakRssMb} MB`);
  }
  const ms = perBatch.map((b) => b.ms);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ model: string; ms: number[] }>(
    `select m->>'model' as model, array_agg((m->>'ms')::int) as ms
       from audit.feed_batches b cross join jsonb_array_elements(b.details->'models') m
      where b.batch_id = any($1) group by 1`,
    [week.map((b) => b.manifest.batchId)],
  );
  await c.end();
  // a model the batch skipped is not in the ledger's list: it took no time that day
  const models = rows.map((r) => ({ model: r.model, medianMs: median([...r.ms, ...Array<number>(week.length - r.ms.length).fill(0)]) }))
    .sort((a, b) => b.medianMs - a.medianMs).slice(0, 12);
  o.say(`  slowest models, median ms a day: ${models.map((m) => `${m.model} ${m.medianMs}`).join(', ')}`);
  return { medianMs: median(ms), p95Ms: p95(ms), perBatch, models };
}

/** Statements run on the server's `postgres` database (creating, dropping or renaming the warehouse's). */
async function adminQuery(url: string, statements: string[]): Promise<void> {
  const u = new URL(url);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    for (const sql of statements) {
      // A copy needs its template to itself: autovacuum may hold a session on it for a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          await c.query(sql);
          break;
        } catch (err) {
          if (attempt >= 10 || !/being accessed by other users/.test((err as Error).message)) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  } finally {
    await c.end();
  }
}

/**
 * The daily feed's goals (incremental issue): a scale-1 day under 150 ms (median), and a day on the
 * scale-10 warehouse at most 1.3 times one on the scale-1 warehouse, for the natural week (a bigger
 * day) and for the week thinned to the scale-1 week's orders (a day of the same size).
 */
export function feedGoals(feed: Record<string, unknown>[]): string {
  type Week = { medianMs: number; orderRows: number; floor?: { medianMs: number } };
  const at = (scale: number) => feed.find((f) => f.scale === scale) as { week: Week; thinnedWeek?: Week } | undefined;
  const s1 = at(1);
  const lines = ['feed goals: median day < 150 ms at scale 1 | scale-10 / scale-1 <= 1.3'];
  if (s1) lines.push(`  scale 1: median ${s1.week.medianMs} ms (${s1.week.orderRows} order rows in the week) ${s1.week.medianMs < 150 ? 'MET' : 'MISSED'}`);
  if (s1?.week.floor) lines.push(`  scale 1 write floor (the day's changed rows written alone, bench/feedFloor.ts): median ${s1.week.floor.medianMs} ms, ${s1.week.floor.medianMs < 150 ? 'under' : 'over'} the goal of 150 ms`);
  for (const f of feed) {
    const scale = f.scale as number;
    const big = at(scale);
    if (scale === 1 || !big || !s1) continue;
    const ratio = (w: Week) => `${(w.medianMs / s1.week.medianMs).toFixed(2)}x ${w.medianMs / s1.week.medianMs <= 1.3 ? 'MET' : 'MISSED'}`;
    lines.push(`  scale ${scale}, its own week (${big.week.orderRows} order rows): median ${big.week.medianMs} ms, ${ratio(big.week)}`);
    if (big.thinnedWeek) lines.push(`  scale ${scale}, the week thinned to ${big.thinnedWeek.orderRows} order rows: median ${big.thinnedWeek.medianMs} ms, ${ratio(big.thinnedWeek)}`);
    const floors = [s1.week.floor, big.thinnedWeek?.floor];
    if (floors[0] && floors[1]) lines.push(`  write floors, the thinned scale-${scale} day against the scale-1 day: ${floors[1].medianMs} / ${floors[0].medianMs} ms = ${(floors[1].medianMs / floors[0].medianMs).toFixed(2)}x`);
  }
  return lines.join('\n');
}
