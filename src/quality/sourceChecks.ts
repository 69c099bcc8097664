import { ident } from '../db/connection.ts';
import { BRAZIL_STATES, type ColumnSpec, type SourceSpec } from '../sources/index.ts';
import { compileTest, keyExpr, sqlLiteral, type Compiled, type RowRule, type TestTarget, type TotalRule } from './compile.ts';
import { parseTest, type TestSpec } from './grammar.ts';
import type { CheckJob, CheckMeta } from './types.ts';

/**
 * Checks derived from the source specs (src/sources): the same declarations the ingest validator
 * enforces row by row are asserted again on the loaded raw tables (cheap, one scan per table, and
 * it proves the ingest contract), plus the natural key, the foreign keys, the row accounting of the
 * load and the volume of the load against history. Extra tests can be declared in `spec.checks`
 * with the grammar of model tests.
 */

type ContractKind = 'not_null' | 'accepted_values' | 'format' | 'range';

interface ColumnRule {
  kind: ContractKind;
  column: string;
  /** SQL condition true for a violating row. */
  violation: string;
  text: string;
}

// `length <> n or ~ '[^...]'` rather than an anchored `{32}` regex: PostgreSQL's bounded repetition is
// ~15x slower (1 s for the 3 id columns of order_items).
const badId = (c: string) => `(length(${c}) <> 32 or ${c} ~ '[^0-9a-f]')`;
const badZip = (c: string) => `(length(${c}) <> 5 or ${c} ~ '[^0-9]')`;

function columnRules(col: ColumnSpec): ColumnRule[] {
  const c = ident(col.name);
  const rules: ColumnRule[] = [];
  if (!col.nullable) rules.push({ kind: 'not_null', column: col.name, violation: `${c} is null`, text: `${col.name} required` });
  if (col.values) {
    rules.push({ kind: 'accepted_values', column: col.name, violation: `${c} not in (${col.values.map(sqlLiteral).join(', ')})`, text: `${col.name} in (${col.values.join(', ')})` });
  }
  if (col.type === 'state') {
    rules.push({ kind: 'accepted_values', column: col.name, violation: `${c} not in (${BRAZIL_STATES.map(sqlLiteral).join(', ')})`, text: `${col.name} is a Brazilian state code` });
  }
  if (col.type === 'id') rules.push({ kind: 'format', column: col.name, violation: badId(c), text: `${col.name} is a 32-char hex id` });
  if (col.type === 'zip_prefix') rules.push({ kind: 'format', column: col.name, violation: badZip(c), text: `${col.name} is a 5-digit prefix` });
  if (col.range) {
    const bad = [];
    if (col.range.min !== undefined) bad.push(`${c} < ${col.range.min}`);
    if (col.range.max !== undefined) bad.push(`${c} > ${col.range.max}`);
    rules.push({ kind: 'range', column: col.name, violation: bad.join(' or '), text: `${col.name} in ${col.range.min ?? '-inf'}..${col.range.max ?? '+inf'}` });
  }
  return rules;
}

const CONTRACT_WORDS: Record<ContractKind, string> = {
  not_null: 'Required columns are filled in',
  accepted_values: 'Columns with a fixed list of values (status, payment type, state) only hold listed values',
  format: 'Ids are 32-character hex codes and zip prefixes 5 digits',
  range: 'Numbers are inside their declared range',
};

export function sourceFile(spec: SourceSpec): string {
  return `src/sources/${spec.name}.ts`;
}

function sourceTarget(spec: SourceSpec): TestTarget {
  return { type: 'source', name: spec.name, layer: 'raw', keyColumns: spec.primaryKey, hasLine: true, declaredIn: sourceFile(spec) };
}

/**
 * The column rules of the spec (one check per kind, per-column counts in details) and the load
 * accounting: raw rows = rows_loaded recorded by the ingest, rows_read = rows_loaded + rows_rejected.
 * All are evaluated in the table's single fused scan (compile.ts fuse).
 */
function contractRules(spec: SourceSpec): Compiled[] {
  const rules = spec.columns.flatMap(columnRules);
  const kinds = (['not_null', 'accepted_values', 'format', 'range'] as const).filter((k) => rules.some((r) => r.kind === k));
  const table = { type: 'source' as const, name: spec.name };
  const key = keyExpr(spec.primaryKey, true, 't');
  const out: Compiled[] = kinds.map((k): RowRule => {
    const mine = rules.filter((r) => r.kind === k);
    return {
      meta: {
        name: `raw.${spec.name}.${k}`,
        layer: 'raw',
        target: spec.name,
        kind: k === 'format' ? 'accepted_values' : k,
        severity: 'error',
        description: `${CONTRACT_WORDS[k]} in ${spec.fileName} (${[...new Set(mine.map((r) => r.column))].join(', ')}).`,
        rule: mine.map((r) => r.text).join('; '),
        declaredIn: sourceFile(spec),
      },
      table,
      key,
      violation: mine.map((r) => `coalesce(${r.violation}, false)`).join(' or '),
      parts: mine.map((r) => ({ label: r.column, violation: `coalesce(${r.violation}, false)` })),
      enforcedByIngest: true,
    };
  });
  const reconcile: TotalRule = {
    meta: {
      name: `raw.${spec.name}.reconcile.file_load`,
      layer: 'raw',
      target: spec.name,
      kind: 'reconcile',
      severity: 'error',
      description: `Every row read from ${spec.fileName} is either in the raw table or in the rejected rows, and the raw table has exactly the rows the load recorded.`,
      rule: 'count(raw) = file_loads.rows_loaded and rows_read = rows_loaded + rows_rejected',
      declaredIn: sourceFile(spec),
    },
    table,
    evaluate: async (total, q, env) => {
      if (env.loadRunId === null) {
        return { failingRows: 0, sample: [], note: `no file load recorded for this raw layer; raw has ${total} rows`, details: { rawRows: total } };
      }
      const { rows: loads } = await q.query<{ rows_read: string; rows_loaded: string; rows_rejected: string }>(
        'select rows_read, rows_loaded, rows_rejected from audit.file_loads where run_id = $1 and source = $2',
        [env.loadRunId, spec.name],
      );
      const load = loads[0];
      const problems: string[] = [];
      if (!load) problems.push(`run ${env.loadRunId} recorded no load of ${spec.fileName}`);
      else {
        if (Number(load.rows_loaded) !== total) problems.push(`raw has ${total} rows, the load recorded ${load.rows_loaded}`);
        if (Number(load.rows_read) !== Number(load.rows_loaded) + Number(load.rows_rejected)) {
          problems.push(`read ${load.rows_read} != loaded ${load.rows_loaded} + rejected ${load.rows_rejected}`);
        }
      }
      return {
        failingRows: problems.length ? Math.max(1, Math.abs(total - Number(load?.rows_loaded ?? 0))) : 0,
        sample: problems,
        note: load ? `read ${load.rows_read}, loaded ${load.rows_loaded}, rejected ${load.rows_rejected} (run ${env.loadRunId})` : undefined,
        details: load ? { rowsRead: Number(load.rows_read), rowsLoaded: Number(load.rows_loaded), rowsRejected: Number(load.rows_rejected), rawRows: total } : { rawRows: total },
      };
    },
  };
  out.push(reconcile);
  return out;
}

/**
 * A load that keeps less than this share of the rows of the last published load of the same file
 * has collapsed (a truncated or partial export): the publish is blocked from the first comparison on.
 */
export const COLLAPSE_SHARE = 0.5;

/**
 * Today's load of each file vs history, two checks per file:
 * - `raw.<s>.volume_collapse` (error, from the first load on): zero rows loaded, or fewer than
 *   COLLAPSE_SHARE of the rows of the last published load. A blocked load is never published, so
 *   it never enters the history later loads are judged against.
 * - `raw.<s>.volume` (warn unless declared otherwise): outside mean ± k·sd (or ± band) of the
 *   previous (up to 28) published loads, once 3 exist.
 * The history is the published loads only: for each publication, the latest load of a run that
 * succeeded (or published) at or before it. Loads of failed runs and loads whose gate failed
 * never count.
 */
function volumeJob(specs: readonly SourceSpec[]): CheckJob {
  const tests = specs.map((spec) => {
    const declared = (spec.checks ?? []).map(parseTest).find((t) => t.kind === 'volume');
    return { spec, test: (declared ?? parseTest('volume(sd=3)')) as TestSpec & { kind: 'volume' } };
  });
  const bandMetas: CheckMeta[] = tests.map(({ spec, test }) => ({
    name: test.name ?? `raw.${spec.name}.volume`,
    layer: 'raw',
    target: spec.name,
    kind: 'volume',
    severity: test.severity ?? 'warn',
    description: test.desc ??
      `The number of rows loaded from ${spec.fileName} is within ${test.bandPct !== undefined ? `${test.bandPct}% of` : `${test.sd ?? 3} standard deviations of`} the average of the previous (up to 28) successful loads.`,
    rule: test.rule,
    declaredIn: sourceFile(spec),
  }));
  const collapseMetas: CheckMeta[] = specs.map((spec) => ({
    name: `raw.${spec.name}.volume_collapse`,
    layer: 'raw',
    target: spec.name,
    kind: 'volume',
    severity: 'error',
    description: `${spec.fileName} loaded at least one row and at least ${COLLAPSE_SHARE * 100}% of the rows of its last published load.`,
    rule: `rows_loaded > 0 and rows_loaded >= ${COLLAPSE_SHARE} * last published rows_loaded`,
    declaredIn: sourceFile(spec),
  }));
  const metas = [...bandMetas, ...collapseMetas];
  return {
    checks: metas,
    run: async (q, env) => {
      if (env.loadRunId === null) return metas.map(() => ({ failingRows: 0, sample: [], note: 'no file load recorded: nothing to compare' }));
      const { rows } = await q.query<{ source: string; rows_loaded: string; n: string; mean: number | null; sd: number | null; last: string | null; last_run: string | null }>(
        `with published_loads as (
           select distinct (select max(f.run_id) from audit.file_loads f join audit.runs r using (run_id)
                             where f.run_id <= p.run_id
                               and (r.status = 'succeeded' or exists (select 1 from audit.publications p2 where p2.run_id = f.run_id))) as run_id
             from audit.publications p),
         history as (
           select f.source, f.run_id, f.rows_loaded, row_number() over (partition by f.source order by f.run_id desc) as rn
             from audit.file_loads f join published_loads using (run_id)
            where f.run_id < $1)
         select c.source, c.rows_loaded, count(h.rows_loaded) as n, avg(h.rows_loaded)::float8 as mean,
                coalesce(stddev_samp(h.rows_loaded), 0)::float8 as sd,
                max(h.rows_loaded) filter (where h.rn = 1) as last, max(h.run_id) filter (where h.rn = 1) as last_run
           from audit.file_loads c left join history h on h.source = c.source and h.rn <= 28
          where c.run_id = $1 group by c.source, c.rows_loaded`,
        [env.loadRunId],
      );
      const band = tests.map(({ spec, test }) => {
        const r = rows.find((x) => x.source === spec.name);
        if (!r) return { failingRows: 0, sample: [], note: `run ${env.loadRunId} recorded no load of ${spec.fileName}` };
        const n = Number(r.n);
        const today = Number(r.rows_loaded);
        if (n < 3) return { failingRows: 0, sample: [], note: `not enough history (${n} previous successful load${n === 1 ? '' : 's'}, 3 needed); loaded ${today}`, details: { today, history: n } };
        const mean = r.mean!;
        const half = test.bandPct !== undefined ? (mean * test.bandPct) / 100 : (test.sd ?? 3) * r.sd!;
        const lo = mean - half;
        const hi = mean + half;
        const out = today < lo || today > hi;
        const note = `loaded ${today}; previous ${n} loads: mean ${mean.toFixed(1)}, sd ${r.sd!.toFixed(1)}, accepted ${Math.ceil(lo)}..${Math.floor(hi)}`;
        return { failingRows: out ? 1 : 0, sample: out ? [note] : [], note, details: { today, history: n, mean, sd: r.sd, low: lo, high: hi } };
      });
      const collapse = specs.map((spec) => {
        const r = rows.find((x) => x.source === spec.name);
        if (!r) return { failingRows: 1, sample: [`run ${env.loadRunId} recorded no load of ${spec.fileName}`], note: `run ${env.loadRunId} recorded no load of ${spec.fileName}` };
        const today = Number(r.rows_loaded);
        const last = r.last === null ? null : Number(r.last);
        const floor = last === null ? 1 : Math.max(1, Math.ceil(last * COLLAPSE_SHARE));
        const since = last === null ? 'no published load yet' : `last published load (run ${r.last_run}) ${last}`;
        const note = today === 0
          ? `${spec.fileName}: no rows loaded (${since})`
          : today < floor
            ? `${spec.fileName}: loaded ${today} rows, less than ${COLLAPSE_SHARE * 100}% of the ${since}`
            : `loaded ${today}; ${since}; at least ${floor} required`;
        const bad = today < floor;
        return { failingRows: bad ? 1 : 0, sample: bad ? [note] : [], note, details: { today, last, floor } };
      });
      return [...band, ...collapse];
    },
  };
}

function sourceTests(spec: SourceSpec): Compiled[] {
  const target = sourceTarget(spec);
  const jobs: Compiled[] = [];
  if (spec.primaryKey.length > 0) {
    const pk = parseTest(`unique(${spec.primaryKey.join(', ')}) name=raw.${spec.name}.primary_key`);
    pk.severity = spec.primaryKeyUniqueInSource ? 'error' : 'warn';
    pk.desc = `No two rows of ${spec.fileName} share the same ${spec.primaryKey.join(' + ')}${spec.primaryKeyUniqueInSource ? '' : ' (duplicates are known in the source and resolved in staging)'}.`;
    jobs.push(...compileTest(pk, target, { enforcedByIngest: spec.primaryKeyUniqueInSource }));
  }
  for (const fk of spec.foreignKeys ?? []) {
    const t = parseTest(`relationships(${fk.columns.join(', ')} -> source('${fk.references}')(${fk.referencedColumns.join(', ')}))`);
    t.severity = fk.enforcedInSource ? 'error' : 'warn';
    t.desc = `Every ${fk.columns.join(' + ')} of ${spec.fileName} exists in ${fk.references}.`;
    jobs.push(...compileTest(t, target));
  }
  for (const text of spec.checks ?? []) {
    const t = parseTest(text);
    if (t.kind !== 'volume') jobs.push(...compileTest(t, target));
  }
  return jobs;
}

/** Every check derived from (or declared in) the source specs, not yet fused into scans. */
export function sourceChecks(specs: readonly SourceSpec[]): Compiled[] {
  return [...specs.flatMap(contractRules), ...specs.flatMap(sourceTests), volumeJob(specs)];
}
