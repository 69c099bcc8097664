/**
 * `npx tsx bench/modelProfile.ts [--url URL] [--plans FILE] [--json FILE] [--compare]`: builds every model once, one at a
 * time, into scratch schemas (`<layer>_profile`) from the loaded raw layer, and times each step of
 * each model apart: the `create table ... as select` (run under EXPLAIN (ANALYZE, BUFFERS), whose plan
 * says where the select spends its time and whether a sort spilled), each key, foreign key and
 * index of its header, and the analyze. Serial on purpose: each figure is the model's own cost,
 * not its share of a busy machine. Run it after `olist run` (or `olist ingest`) on the same
 * warehouse; it drops its scratch schemas at the end and never touches what is published.
 */
import fs from 'node:fs/promises';
import pg from 'pg';
import { compileModel, constraintsDdl } from '../src/transform/build.ts';
import { loadModels, MODEL_LAYERS } from '../src/transform/models.ts';
import { RAW_SCHEMA } from '../src/ingest/ingest.ts';
import { BUILD_SESSION_SETTINGS, JOB_SESSION_MINIMUMS_KB, JOB_SESSION_SETTINGS, settingsToRaiseSql } from '../src/db/connection.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Sort Method'?: string;
  'Sort Space Used'?: number;
  'Sort Space Type'?: string;
  'Workers Launched'?: number;
  Plans?: PlanNode[];
  [k: string]: unknown;
}

export interface ModelProfile {
  model: string;
  layer: string;
  rows: number;
  selectMs: number;
  ddl: { sql: string; ms: number }[];
  analyzeMs: number;
  totalMs: number;
  spills: string[];
  /** Plan nodes by their own time (their total minus their children's), slowest first. */
  hotNodes: { node: string; selfMs: number; rows: number }[];
  /** Rows differing from the published table (compare mode), null when not compared. */
  differs: number | null;
}

const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const profileSchema = (layer: string): string => `${layer}_profile`;

function walk(node: PlanNode, out: { node: string; selfMs: number; rows: number }[], spills: string[]): void {
  const children = node.Plans ?? [];
  const loops = node['Actual Loops'] ?? 1;
  const total = (node['Actual Total Time'] ?? 0) * loops;
  const childTotal = children.reduce((s, c) => s + (c['Actual Total Time'] ?? 0) * (c['Actual Loops'] ?? 1), 0);
  const label = `${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Sort Method'] ? ` (${node['Sort Method']}, ${node['Sort Space Used']} kB ${node['Sort Space Type']})` : ''}`;
  out.push({ node: label, selfMs: Math.max(0, total - childTotal), rows: node['Actual Rows'] ?? 0 });
  if (node['Sort Space Type'] === 'Disk') spills.push(label);
  if (node['Node Type'] === 'Hash' && Number(node['Hash Batches'] ?? 1) > 1) spills.push(`Hash (${node['Hash Batches']} batches)`);
  for (const c of children) walk(c, out, spills);
}

/** An indented one-line-per-node rendering of a JSON plan: node, relation, time, rows, spill. */
function renderPlan(node: PlanNode, depth = 0): string {
  const extra = ['Sort Key', 'Group Key', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Filter', 'Index Cond', 'Strategy', 'Join Type']
    .filter((k) => node[k] !== undefined).map((k) => `${k}: ${JSON.stringify(node[k])}`).join(' ');
  const sort = node['Sort Method'] ? ` [${node['Sort Method']} ${node['Sort Space Used']}kB ${node['Sort Space Type']}]` : '';
  const hash = node['Hash Batches'] !== undefined ? ` [batches ${String(node['Hash Batches'])} mem ${String(node['Peak Memory Usage'])}kB]` : '';
  const workers = node['Workers Launched'] !== undefined ? ` [workers ${node['Workers Launched']}]` : '';
  const line = `${'  '.repeat(depth)}-> ${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''} (time ${node['Actual Total Time']} ms, rows ${node['Actual Rows']}, loops ${node['Actual Loops']})${sort}${hash}${workers} ${extra}`;
  return [line, ...(node.Plans ?? []).map((c) => renderPlan(c, depth + 1))].join('\n');
}

/**
 * With `compare`, each model's rows are compared with the published table of the same name (built
 * by another version of the code from the same raw layer): `differs` counts the rows of either
 * side missing from the other (except all, both ways), 0 when the content is identical.
 */
export async function profileModels(url: string, plansFile?: string, compare = false): Promise<ModelProfile[]> {
  const models = await loadModels();
  const byName = new Map(models.map((m) => [m.name, m]));
  const client = new pg.Client({ connectionString: url, application_name: 'olist-profile' });
  await client.connect();
  const plans: string[] = [];
  const profiles: ModelProfile[] = [];
  try {
    // The job's own session settings (src/db/connection.ts), then a build's.
    for (const [k, v] of Object.entries(JOB_SESSION_SETTINGS)) await client.query(`select set_config($1, $2, false)`, [k, v]);
    const raise = (await client.query<{ r: Record<string, string> }>(`select (${settingsToRaiseSql(JOB_SESSION_MINIMUMS_KB)}) as r`)).rows[0]!.r;
    for (const [k, v] of Object.entries(raise)) await client.query(`select set_config($1, $2, false)`, [k, v]);
    for (const [k, v] of Object.entries(BUILD_SESSION_SETTINGS)) await client.query(`select set_config($1, $2, false)`, [k, v]);
    await client.query(MODEL_LAYERS.map((l) => `drop schema if exists ${ident(profileSchema(l))} cascade; create schema ${ident(profileSchema(l))};`).join('\n'));
    for (const m of models) {
      const table = `${ident(profileSchema(m.layer))}.${ident(m.name)}`;
      const started = performance.now();
      await client.query('begin');
      const view = m.materialized === 'view';
      const select = compileModel(m, byName, RAW_SCHEMA, profileSchema);
      let selectMs: number;
      let rows = 0;
      const hot: { node: string; selfMs: number; rows: number }[] = [];
      const spills: string[] = [];
      if (view) {
        const t = performance.now();
        await client.query(`create view ${table} as\n${select}`);
        selectMs = performance.now() - t;
      } else {
        const t = performance.now();
        const { rows: r } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
          `explain (analyze, buffers, format json) create table ${table} as\n${select}`,
        );
        selectMs = performance.now() - t;
        const plan = r[0]!['QUERY PLAN'][0];
        rows = plan.Plan['Actual Rows'] ?? 0;
        walk(plan.Plan, hot, spills);
        plans.push(`== ${m.layer}.${m.name}: ${Math.round(selectMs)} ms, ${rows} rows\n${renderPlan(plan.Plan)}`);
      }
      const ddl: { sql: string; ms: number }[] = [];
      for (const sql of constraintsDdl(m, byName, profileSchema)) {
        const t = performance.now();
        await client.query(sql);
        ddl.push({ sql: sql.replace(/^alter table \S+ |^create index on \S+ /, '').replace(/ deferrable initially immediate$/, '').replace(/"[a-z_]+_profile"\./g, ''), ms: Math.round(performance.now() - t) });
      }
      let analyzeMs = 0;
      if (!view) {
        const t = performance.now();
        await client.query(`analyze ${table}`);
        analyzeMs = Math.round(performance.now() - t);
      }
      const totalMs = Math.round(performance.now() - started); // the comparison below is not the model's cost
      let differs: number | null = null;
      if (compare && !view) {
        const published = `${ident(m.layer)}.${ident(m.name)}`;
        const { rows: d } = await client.query<{ n: string }>(
          `select ((select count(*) from (select * from ${table} except all select * from ${published}) a) + (select count(*) from (select * from ${published} except all select * from ${table}) b))::text as n`,
        ).catch((e: Error) => ({ rows: [{ n: `-1 (${e.message})` }] }));
        differs = Number.parseInt(d[0]!.n, 10);
        if (differs !== 0) process.stderr.write(`DIFFERS ${m.name}: ${d[0]!.n}\n`);
      }
      await client.query('commit');
      hot.sort((a, b) => b.selfMs - a.selfMs);
      profiles.push({
        model: m.name, layer: m.layer, rows, selectMs: Math.round(selectMs), ddl, analyzeMs, totalMs, spills, differs,
        hotNodes: hot.slice(0, 3).map((h) => ({ ...h, selfMs: Math.round(h.selfMs) })),
      });
    }
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.query(MODEL_LAYERS.map((l) => `drop schema if exists ${ident(profileSchema(l))} cascade;`).join('\n')).catch(() => undefined);
    await client.end();
  }
  if (plansFile) await fs.writeFile(plansFile, plans.join('\n\n'));
  return profiles;
}

export function profileReport(profiles: ModelProfile[]): string {
  const lines: string[] = [];
  const total = profiles.reduce((s, p) => s + p.totalMs, 0);
  const sum = (f: (p: ModelProfile) => number): number => profiles.reduce((s, p) => s + f(p), 0);
  lines.push(`models built one at a time: ${total} ms = select ${sum((p) => p.selectMs)} + keys/indexes ${sum((p) => p.ddl.reduce((s, d) => s + d.ms, 0))} + analyze ${sum((p) => p.analyzeMs)} (+ overhead)`);
  for (const p of [...profiles].sort((a, b) => b.totalMs - a.totalMs)) {
    const ddlMs = p.ddl.reduce((s, d) => s + d.ms, 0);
    lines.push(`${p.model.padEnd(36)} ${String(p.totalMs).padStart(6)} ms  rows ${String(p.rows).padStart(8)}  select ${String(p.selectMs).padStart(5)}  ddl ${String(ddlMs).padStart(5)}  analyze ${String(p.analyzeMs).padStart(4)}${p.spills.length ? `  SPILL: ${p.spills.join('; ')}` : ''}${p.differs === null ? '' : p.differs === 0 ? '  same rows' : `  DIFFERS (${p.differs} rows)`}`);
    if (p.hotNodes.length && p.selectMs > 100) lines.push(`      hot: ${p.hotNodes.map((h) => `${h.node} ${h.selfMs} ms`).join(' | ')}`);
    for (const d of p.ddl.filter((x) => x.ms >= 20)) lines.push(`      ${String(d.ms).padStart(5)} ms  ${d.sql}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const arg = (flag: string): string | undefined => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const url = arg('--url') ?? process.env.DATABASE_URL;
  if (!url) throw new Error('pass --url (or DATABASE_URL): the warehouse whose raw layer is loaded');
  const profiles = await profileModels(url, arg('--plans'), argv.includes('--compare'));
  process.stdout.write(`${profileReport(profiles)}\n`);
  if (arg('--json')) await fs.writeFile(arg('--json')!, JSON.stringify(profiles, null, 2));
}
