/**
 * The daily feed's benchmark (part of `npm run bench`, or alone with `--feed-only`):
 *
 * - `simulate`: time and peak RSS of cutting the dataset into daily batches;
 * - a typical week: the warehouse is brought to the state just before the week (every earlier
 *   batch concatenated into one catch-up batch, applied through the same incremental path), then
 *   the week's seven daily batches are applied one by one: median and p95 per batch, per phase;
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

export interface FeedBenchOptions {
  root: string;
  cli: string;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  scale: number;
  weekStart: string;
  replay: boolean;
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
  const perBatch: { batch: string; ms: number; phases: Record<string, number> }[] = [];
  for (const b of week) {
    const m = await cli(o, ['run', '--incremental', '--landing-dir', weekDir, '--batch', b.manifest.batchId], env);
    const out = parseJsonOut<{ applied: { batchId: string; ms: number; phases: Record<string, number> }[] }>(m.stdout);
    const applied = out.applied[0]!;
    perBatch.push({ batch: applied.batchId, ms: applied.ms, phases: applied.phases });
    o.say(`  ${applied.batchId}: ${applied.ms} ms (${Object.entries(applied.phases).map(([k, v]) => `${k} ${v}`).join(', ')}), CLI peak RSS ${m.peakRssMb} MB`);
  }
  const ms = perBatch.map((b) => b.ms);
  const result: Record<string, unknown> = {
    scale: o.scale, simulateS: sim.ms / 1000, simulateRssMb: sim.peakRssMb, batches: simOut.batches,
    week: { from: week[0]!.manifest.batchId, medianMs: median(ms), p95Ms: p95(ms), perBatch },
  };
  o.say(`  typical week ${week[0]!.manifest.batchId}..: median ${median(ms)} ms, p95 ${p95(ms)} ms per batch`);

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

