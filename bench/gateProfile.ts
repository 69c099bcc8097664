/**
 * Profiles the quality gate on the published warehouse: runs every check job alone, one at a time
 * (no overlap, so each time is the job's own), `--runs` times, and prints the median per job and
 * per layer, slowest first. `npx tsx bench/gateProfile.ts [--runs 3] [--top 30]`
 * (OLIST_HOME / OLIST_PG_PORT / DATABASE_URL as for `olist`).
 */
import { loadConfig } from '../src/config.ts';
import { connect } from '../src/db/connection.ts';
import { createLogger } from '../src/log.ts';
import { collectChecks, resolveSchemas } from '../src/quality/gate.ts';
import { loadModels } from '../src/transform/models.ts';
import { SOURCES, versionsOf, versionsTableName } from '../src/sources/index.ts';
import { ident } from '../src/db/connection.ts';
import type { CheckEnv } from '../src/quality/types.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('runs', 3);
const top = arg('top', 30);
const config = loadConfig(process.env);
const log = createLogger('warn');
const db = await connect(config, log);
try {
  const models = await loadModels();
  const jobs = await collectChecks({ models });
  const schemas = await resolveSchemas(db.pool, false);
  const layerOf = new Map(models.map((m) => [m.name, m.layer]));
  const sourceNames = new Set(SOURCES.flatMap((s) => [s.name, ...(versionsOf(s) ? [versionsTableName(s)] : [])]));
  const { rows } = await db.pool.query<{ r: string | null }>('select max(run_id)::text as r from audit.file_loads');
  const makeEnv = (): CheckEnv => ({
    table: (rel) => (rel.type !== 'source' && layerOf.has(rel.name) ? `${ident(schemas[layerOf.get(rel.name)!])}.${ident(rel.name)}` : sourceNames.has(rel.name) ? `${ident(schemas.raw)}.${ident(rel.name)}` : 'missing'),
    logicalDate: '2018-09-03',
    logicalDateSource: 'configured',
    loadRunId: rows[0]?.r ? Number(rows[0].r) : null,
    validatedLoad: process.argv.includes('--proven'),
  });
  const times = new Map<number, number[]>();
  for (let r = 0; r < runs; r++) {
    // a fresh env per round: shared scans are cached per gate run (per env)
    const env = makeEnv();
    for (const [i, job] of jobs.entries()) {
      const t0 = performance.now();
      await job.run(db.pool, env);
      times.set(i, [...(times.get(i) ?? []), performance.now() - t0]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rowsOut = jobs.map((job, i) => ({ ms: median(times.get(i)!), layer: job.checks[0]!.layer, name: job.checks.length > 1 ? `${job.checks[0]!.target} (fused: ${job.checks.length} checks)` : job.checks[0]!.name }));
  rowsOut.sort((a, b) => b.ms - a.ms);
  const byLayer = new Map<string, number>();
  for (const r of rowsOut) byLayer.set(r.layer, (byLayer.get(r.layer) ?? 0) + r.ms);
  console.log(`${jobs.length} jobs, ${jobs.reduce((n, j) => n + j.checks.length, 0)} checks; serial total ${rowsOut.reduce((n, r) => n + r.ms, 0).toFixed(0)} ms (median of ${runs})`);
  console.log([...byLayer].map(([l, ms]) => `${l} ${ms.toFixed(0)} ms`).join(', '));
  for (const r of rowsOut.slice(0, top)) console.log(`${r.ms.toFixed(0).padStart(7)} ms  ${r.layer.padEnd(9)} ${r.name}`);
} finally {
  await db.close();
}
