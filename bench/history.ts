/**
 * The dimension-history figures of docs/data-model.md, reproducibly, on any dataset directory
 * (default OLIST_DATA_DIR): `npx tsx bench/history.ts [--data-dir D]`, with the usual OLIST_HOME /
 * OLIST_PG_PORT (it replaces the warehouse there).
 *
 * 1. `olist simulate --corrections` cuts the dataset into the daily feed with the simulator's
 *    corrections (cut.sql.ts correctionStatements); the correction rows are those carrying an
 *    effective time.
 * 2. `olist run` fully loads the dataset (one version per seller and product), then the correction
 *    rows alone go through `olist run --incremental` as one batch. Versions depend only on what
 *    was received and its effective times, not on the arrival order, and the rest of the feed
 *    equals the full load (`olist verify --data-dir`), so this is the state a replay of the whole
 *    feed reaches, in minutes instead of an hour.
 * 3. The queries people_with_several_addresses.sql and revenue_shift_point_in_time_vs_today.sql
 *    print the figures.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse';
import pg from 'pg';
import { sealBatch } from '../src/feed/corrections.ts';
import { listBatches } from '../src/feed/manifest.ts';
import { projectPath } from '../src/paths.ts';
import { sourceByName } from '../src/sources/index.ts';

const run = promisify(execFile);
const cli = projectPath('bin', 'olist.js');

async function olist(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const t = performance.now();
  const { stdout } = await run(process.execPath, [cli, ...args], { env, maxBuffer: 256 * 1024 * 1024 });
  console.log(`olist ${args.join(' ')}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return stdout;
}

/** The records of a batch file whose effective time (the spec's optional column) is filled, as raw lines. */
async function correctionLines(file: string, effectiveColumn: string): Promise<{ header: string; lines: string[] } | undefined> {
  let at = -1;
  let header = '';
  const lines: string[] = [];
  const parser = createReadStream(file).pipe(parse({ raw: true, relax_quotes: true, relax_column_count: true }));
  for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
    if (at < 0 && !header) {
      header = raw.trim();
      at = record.findIndex((h) => h.trim() === effectiveColumn);
      if (at < 0) return undefined;
      continue;
    }
    if (record[at]) lines.push(raw.trim());
  }
  return { header, lines };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--data-dir');
  const dataDir = path.resolve(at >= 0 && args[at + 1] ? args[at + 1]! : (process.env.OLIST_DATA_DIR ?? 'data/olist'));
  const work = await fs.mkdtemp(path.join(tmpdir(), 'olist-history-'));
  const env = { ...process.env, OLIST_DATA_DIR: dataDir };
  try {
    const feed = path.join(work, 'feed');
    const landing = path.join(work, 'landing');
    await olist(['simulate', '--data-dir', dataDir, '--landing-dir', feed, '--corrections'], env);
    const dir = path.join(landing, 'correction-history');
    await fs.mkdir(dir, { recursive: true });
    const counts: Record<string, number> = {};
    for (const source of ['sellers', 'products']) {
      const spec = sourceByName(source);
      const effective = spec.columns.find((c) => c.optional)!.name;
      let header = '';
      const lines: string[] = [];
      for (const b of await listBatches(feed)) {
        const f = b.manifest.files.find((x) => x.source === source);
        if (!f) continue;
        const got = await correctionLines(path.join(b.dir, f.name), effective);
        if (!got) continue;
        header = got.header;
        lines.push(...got.lines);
      }
      counts[source] = lines.length;
      if (lines.length) await fs.writeFile(path.join(dir, spec.fileName), [header, ...lines].join('\n') + '\n');
    }
    console.log(`correction rows: ${JSON.stringify(counts)}`);
    await sealBatch(dir);
    await olist(['run', '--no-generate'], env);
    await olist(['run', '--incremental', '--landing-dir', landing], env);
    const url = (await olist(['db', 'url'], env)).trim();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const q of ['people_with_several_addresses.sql', 'revenue_shift_point_in_time_vs_today.sql']) {
        const { rows } = await client.query(await fs.readFile(projectPath('queries', q), 'utf8'));
        console.log(`\n${q}`);
        console.table(rows);
      }
      const { rows } = await client.query(`select
          (select count(distinct seller_id)::int from warehouse.sellers_dim where version > 1) as sellers_with_history,
          (select count(distinct seller_id)::int from warehouse.sellers_dim where version > 2) as sellers_split_by_a_late_correction,
          (select count(distinct product_id)::int from warehouse.products_dim where version > 1) as products_with_history,
          (select count(*)::int from warehouse.orders_fact f join warehouse.sellers_dim s using (seller_key) where not s.is_current) as sales_on_a_past_seller_version`);
      console.log('\nversions');
      console.table(rows);
    } finally {
      await client.end();
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
