import { ident, literal } from '../db/connection.ts';
import type { TestSpec } from './grammar.ts';
import type { Measured } from '../transform/deltas.ts';
import { SAMPLE_SIZE, type CheckEnv, type CheckJob, type CheckLayer, type CheckMeta, type CheckOutcome, type Queryable, type TouchedKeys } from './types.ts';

/** The table a test is declared on: a model, or a source's raw table. */
export interface TestTarget {
  type: 'ref' | 'source';
  name: string;
  layer: CheckLayer;
  /** Columns identifying a row in samples (natural key first). */
  keyColumns: readonly string[];
  /** Raw tables carry the CSV line: samples then say where to look in the file. */
  hasLine: boolean;
  declaredIn: string;
  /** A model's `@references` (foreign keys, enforced by the database at commit at the latest). */
  references?: readonly { columns: readonly string[]; model: string }[];
}

const TOUCHED_ONLY_NOTE = 'checked on the rows this batch touched (the others passed the last gate)';

export const sqlLiteral = literal;

/** A text key of a row: `a|b`, plus ` @line N` on raw tables. */
export function keyExpr(cols: readonly string[], hasLine: boolean, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const key = cols.length === 0 ? `'row'` : cols.length === 1 ? `${a}${ident(cols[0]!)}::text` : `concat_ws('|', ${cols.map((c) => `${a}${ident(c)}`).join(', ')})`;
  return hasLine ? `${key} || ' @line ' || ${a}_line` : key;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 60);

const DEFAULT_SEVERITY: Record<TestSpec['kind'], 'error' | 'warn'> = {
  not_null: 'error', unique: 'error', accepted_values: 'error', range: 'error', expression: 'error',
  relationships: 'error', reconcile: 'error', freshness: 'warn', volume: 'warn', scd2: 'error', point_in_time: 'error',
};

function rangeText(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): string {
  if (t.min !== undefined && t.max !== undefined && !t.minExclusive && !t.maxExclusive) return `between ${t.min} and ${t.max}`;
  const parts = [];
  if (t.min !== undefined) parts.push(`${t.minExclusive ? 'greater than' : 'at least'} ${t.min}`);
  if (t.max !== undefined) parts.push(`${t.maxExclusive ? 'less than' : 'at most'} ${t.max}`);
  return parts.join(' and ');
}

function relName(r: { type: string; name: string }): string {
  return r.type === 'source' ? `raw ${r.name}` : r.name;
}

/** Plain-language statement of a test, for people who do not read SQL. */
export function describe(spec: TestSpec, target: string): string {
  if (spec.desc) return spec.desc;
  const scope = spec.where ? ` (rows where ${spec.where})` : '';
  switch (spec.kind) {
    case 'not_null': return `${spec.columns.join(', ')} is always filled in ${target}${scope}.`;
    case 'unique': return `No two rows of ${target} share the same ${spec.columns.join(' + ')}${scope}.`;
    case 'accepted_values': return `${spec.column} in ${target} is one of: ${spec.values.join(', ')}${scope}.`;
    case 'range': return `${spec.column} in ${target} is ${rangeText(spec)}${scope}.`;
    case 'expression': return `In ${target}, ${spec.sql} holds for every row${scope} (empty values pass).`;
    case 'relationships': return `Every ${spec.columns.join(' + ')} of ${target}${scope} exists in ${relName(spec.target)}.`;
    case 'reconcile': {
      const each = spec.by.length ? ` for each ${spec.by.join(' + ')}` : '';
      const tw = spec.targetWhere ? ` (where ${spec.targetWhere})` : '';
      return `${spec.left.sql} of ${target}${scope} equals ${spec.right.sql} of ${relName(spec.target)}${tw}${each}${spec.tolerance ? ` within ${spec.tolerance}` : ''}.`;
    }
    case 'freshness': return `The newest ${spec.column} in ${target} is at most ${spec.maxAgeDays} day(s) older than the run's logical date.`;
    case 'scd2': return `The versions of each ${spec.columns.join(' + ')} in ${target} follow each other without overlap or gap, and exactly one is current.`;
    case 'point_in_time': return `Every ${spec.column} of ${target}${scope} points to the version of ${relName(spec.target)} valid at its ${spec.at}.`;
    case 'volume': return `Rows loaded into ${target} stay within ${spec.bandPct !== undefined ? `${spec.bandPct}% of` : `${spec.sd ?? 3} standard deviations of`} the average of the previous (up to 28) successful loads.`;
  }
}

/** Default check name: `<table>.<kind>[.<what>]`, stable across runs so trends line up. */
export function checkName(spec: TestSpec, target: TestTarget, column?: string): string {
  if (spec.name) return column ? `${spec.name}.${column}` : spec.name;
  const prefix = target.type === 'source' ? `raw.${target.name}` : target.name;
  let what: string;
  switch (spec.kind) {
    case 'not_null': what = column ?? spec.columns.join('_'); break;
    case 'unique': what = spec.columns.join('_'); break;
    case 'accepted_values': case 'range': case 'freshness': what = spec.column; break;
    case 'expression': what = slug(spec.sql); break;
    case 'relationships': what = `${spec.columns.join('_')}_${spec.target.name}`; break;
    case 'reconcile': what = slug(`${spec.left.sql}_${spec.target.name}${spec.by.length ? `_by_${spec.by.join('_')}` : ''}`); break;
    case 'volume': what = ''; break;
    case 'scd2': what = `${spec.columns.join('_')}${column ? `.${column}` : ''}`; break;
    case 'point_in_time': what = `${spec.column}_${spec.target.name}`; break;
  }
  return what ? `${prefix}.${spec.kind}.${what}` : `${prefix}.${spec.kind}`;
}

/** Wraps a query returning failing rows (one text column `k`) into count + the first keys in order. */
export async function countAndSample(q: Queryable, failingSql: string, params: unknown[] = []): Promise<CheckOutcome> {
  const { rows } = await q.query<{ n: string; sample: string[] | null }>(
    `with failing as materialized (${failingSql})
     select (select count(*) from failing) as n, array(select k from failing order by k limit ${SAMPLE_SIZE}) as sample`,
    params,
  );
  return { failingRows: Number(rows[0]?.n ?? 0), sample: rows[0]?.sample ?? [] };
}

/**
 * A test decided row by row on one table (not_null, accepted_values, range, expression). All the
 * row rules of a table are evaluated together in ONE scan (see fuse), so declaring more of them
 * costs almost nothing.
 */
export interface RowRule {
  meta: CheckMeta;
  table: { type: 'ref' | 'source'; name: string };
  /** Text key of a row, over alias `t`. */
  key: string;
  /** SQL condition over alias `t`, true for a failing row. */
  violation: string;
  /** Sub-conditions counted apart (e.g. per column) into `details.byColumn`. */
  parts?: { label: string; violation: string }[];
  /**
   * The ingest validator enforces this rule on every row it loads (a raw contract rule). When the
   * raw layer was loaded by the gate's own run, the rows that load wrote are proven already; only
   * the rows written or changed since are evaluated (see fuse).
   */
  enforcedByIngest?: boolean;
}

/** A check computed from the table's row count, taken in the same scan (e.g. load accounting). */
export interface TotalRule {
  meta: CheckMeta;
  table: { type: 'ref' | 'source'; name: string };
  evaluate(total: number, q: Queryable, env: CheckEnv): Promise<CheckOutcome>;
}

/** One side of a whole-table reconciliation: an aggregate of a table (optionally filtered). */
export interface ReconcileSide {
  table: { type: 'ref' | 'source' | 'auto'; name: string };
  where?: string;
  sql: string;
  /** How the sample names the side, e.g. `orders_fact count(*)`. */
  label: string;
}

/**
 * `reconcile(left = right of ...)` without `by`: two whole-table aggregates that must be equal.
 * Many checks aggregate the same table under the same filter (six marts reconcile their GMV with
 * `sum(item_total) of orders_fact where is_revenue`): fuse computes every aggregate of one
 * (table, filter) in one scan, once per gate run, shared by all the checks that need it.
 */
export interface ReconcileRule {
  meta: CheckMeta;
  left: ReconcileSide;
  right: ReconcileSide;
  tolerance: number;
}

export type Compiled = CheckJob | RowRule | TotalRule | ReconcileRule;

const isJob = (c: Compiled): c is CheckJob => 'run' in c;
const isTotal = (c: Compiled): c is TotalRule => 'evaluate' in c;
const isReconcile = (c: Compiled): c is ReconcileRule => 'left' in c && 'right' in c;

type SideValue = { ok: true; text: string | null; num: string } | { ok: false; error: string };

/** One aggregate call (`count(*)`, `sum(x)`, `count(distinct a || b)`): it takes a FILTER clause. */
const SINGLE_AGGREGATE = /^(count|sum|min|max|avg)\s*\((?:[^()]|\([^()]*\))*\)$/s;
/** One count or sum of all the rows (no distinct): the total of a table is the sum of its parts. */
const ADDITIVE = /^(count|sum)\s*\((?!\s*distinct\b)(?:[^()]|\([^()]*\))*\)$/is;
/** `count(distinct a)`, `count(distinct (a, b))`: the columns, in group 1 or 2. */
const DISTINCT_COLUMNS = /^count\s*\(\s*distinct\s+(?:\(\s*([a-z_][a-z0-9_]*(?:\s*,\s*[a-z_][a-z0-9_]*)*)\s*\)|([a-z_][a-z0-9_]*))\s*\)$/i;
/** What one row adds to `count(*)`, `count(x)` or `sum(x)` (null: nothing), as an exact numeric; undefined for another expression. */
function rowContribution(sql: string): string | undefined {
  const aggregate = sql.trim();
  if (!ADDITIVE.test(aggregate)) return undefined;
  const m = /^(count|sum)\s*\((.*)\)$/is.exec(aggregate)!;
  const arg = m[2]!.trim();
  if (m[1]!.toLowerCase() === 'sum') return `(${arg})::numeric`;
  return arg === '*' ? '1::numeric' : `case when (${arg}) is not null then 1::numeric end`;
}

const distinctColumns = (sql: string): string[] | undefined => {
  const m = DISTINCT_COLUMNS.exec(sql.trim());
  return m ? (m[1] ?? m[2]!).split(',').map((c) => c.trim().toLowerCase()) : undefined;
};

/** The reconciliation jobs: one per checked table; the side scans are shared through a per-run cache. */
function reconcileJobs(rules: readonly ReconcileRule[]): CheckJob[] {
  // The aggregates of one table share one scan whatever their filters (`count(*) filter (where
  // is_delivered)`, `sum(order_value) filter (where is_revenue)`...): five reconciliations of the
  // order fact read it once, not five times. An expression that takes no FILTER scans apart.
  const fusable = (side: ReconcileSide) => !side.where || SINGLE_AGGREGATE.test(side.sql.trim());
  const groupKey = (side: ReconcileSide) => `${side.table.type}:${side.table.name}${fusable(side) ? '' : `|${side.where}`}`;
  const exprOf = (side: ReconcileSide) => (side.where && fusable(side) ? `${side.sql} filter (where ${side.where})` : side.sql);
  const groups = new Map<string, { side: ReconcileSide; exprs: string[]; sides: ReconcileSide[] }>();
  for (const r of rules) {
    for (const side of [r.left, r.right]) {
      const g = groups.get(groupKey(side)) ?? { side, exprs: [], sides: [] };
      if (!g.exprs.includes(exprOf(side))) {
        g.exprs.push(exprOf(side));
        g.sides.push(side);
      }
      groups.set(groupKey(side), g);
    }
  }
  // A distinct count computed whole: the distinct values hashed, then counted. `count(distinct (a,
  // b))` sorts every row value of the table instead (the reviews file at scale 10: 4.9 s).
  // `select distinct` keeps a null as one value, as count(distinct) of a row value does; of one
  // column, count(distinct) leaves the nulls out, and so does this.
  const wholeExpr = (env: CheckEnv, side: ReconcileSide, expr: string): string => {
    const distinct = distinctColumns(side.sql);
    if (!distinct) return expr;
    const conditions = [...(side.where ? [`(${side.where})`] : []), ...(distinct.length === 1 ? [`${ident(distinct[0]!)} is not null`] : [])];
    return `(select count(*) from (select distinct ${distinct.map(ident).join(', ')} from ${env.table(side.table)}${conditions.length ? ` where ${conditions.join(' and ')}` : ''}) d)`;
  };
  // Scans already started in a gate run (the env is made anew for every run).
  const runs = new WeakMap<CheckEnv, Map<string, Promise<SideValue[]>>>();
  const select = async (q: Queryable, env: CheckEnv, side: ReconcileSide, exprs: readonly string[], sides: readonly ReconcileSide[]): Promise<SideValue[]> => {
    const cols = exprs.map((e, i) => wholeExpr(env, sides[i]!, e)).flatMap((e, i) => [`(${e})::text as v${i}`, `coalesce((${e}), 0)::numeric::text as n${i}`]);
    const where = fusable(side) ? undefined : side.where;
    const { rows } = await q.query<Record<string, string | null>>(`select ${cols.join(', ')} from ${env.table(side.table)} ${where ? `where ${where}` : ''}`);
    return exprs.map((_, i) => ({ ok: true, text: rows[0]![`v${i}`] ?? null, num: rows[0]![`n${i}`]! }));
  };
  const scan = (q: Queryable, env: CheckEnv, key: string): Promise<SideValue[]> => {
    const cache = runs.get(env) ?? new Map<string, Promise<SideValue[]>>();
    runs.set(env, cache);
    let p = cache.get(key);
    if (!p) {
      const { side, exprs, sides } = groups.get(key)!;
      // One broken expression (a filter naming a column the table lacks) must not take the other
      // checks of its table with it: on an error, each expression is computed alone.
      p = select(q, env, side, exprs, sides).catch(async (err: Error): Promise<SideValue[]> => {
        if (exprs.length === 1) return [{ ok: false, error: err.message }];
        const alone: SideValue[] = [];
        for (const [i, e] of exprs.entries()) alone.push(await select(q, env, side, [e], [sides[i]!]).then((v) => v[0]!, (e2: Error) => ({ ok: false as const, error: e2.message })));
        return alone;
      });
      cache.set(key, p);
    }
    return p;
  };
  const value = async (q: Queryable, env: CheckEnv, side: ReconcileSide): Promise<SideValue> => {
    const key = groupKey(side);
    return (await scan(q, env, key))[groups.get(key)!.exprs.indexOf(exprOf(side))]!;
  };
  // A feed batch proves an exact reconciliation from its change (src/transform/deltas.ts): the two
  // totals were equal after the last gate (an error-level failure refuses a batch), so they are
  // equal now when both sides changed by the same amount. A side the batch did not change moved by
  // nothing; a side it changed but no writer measured is computed whole, as is every other rule.
  //
  // A distinct count adds up the same way when the rows a batch rewrites are whole groups of its
  // values: a table the batch changes by key (a source's primary key, a model's partition) and a
  // count of distinct values of columns that include that key. No value is then both among the
  // rewritten rows and outside them, so the count is the others' plus the rewritten rows' own.
  const measurable = (side: ReconcileSide) => ADDITIVE.test(side.sql.trim()) || distinctColumns(side.sql) !== undefined;
  const addsUp = (env: CheckEnv, side: ReconcileSide): boolean => {
    const distinct = distinctColumns(side.sql);
    if (!distinct) return ADDITIVE.test(side.sql.trim());
    const key = env.touched?.(side.table)?.columns;
    return key !== undefined && key.every((k) => distinct.includes(k));
  };
  const change = (env: CheckEnv, r: ReconcileRule): [Measured, Measured] | undefined => {
    if (!env.delta || r.meta.severity !== 'error' || r.tolerance !== 0 || !measurable(r.left) || !measurable(r.right)) return undefined;
    const moved = [r.left, r.right].filter((side) => !env.unchanged?.(side.table));
    if (!moved.every((side) => addsUp(env, side))) return undefined;
    const sides = [r.left, r.right].map((side) => (env.unchanged?.(side.table) ? { before: '0', after: '0' } : env.delta!(side.table, exprOf(side))));
    return sides[0] && sides[1] ? [sides[0], sides[1]] : undefined;
  };
  const byTarget = new Map<string, ReconcileRule[]>();
  for (const r of rules) byTarget.set(r.meta.target, [...(byTarget.get(r.meta.target) ?? []), r]);
  return [...byTarget.values()].map((mine): CheckJob => ({
    checks: mine.map((r) => r.meta),
    weight: 3,
    measures: mine.filter((r) => measurable(r.left) && measurable(r.right)).flatMap((r) => [r.left, r.right]).map((side) => ({ table: side.table.name, expr: exprOf(side) })),
    run: async (q, env) => {
      // each side: its value now and before the batch (0 for a whole total), or why it could not run
      type Side = { ok: true; text: string | null; now: string; was: string } | { ok: false; error: string };
      const pairs: { r: ReconcileRule; l: Side; v: Side; batch: boolean }[] = [];
      for (const r of mine) {
        const moved = change(env, r);
        if (moved) {
          pairs.push({ r, batch: true, l: { ok: true, text: null, now: moved[0].after, was: moved[0].before }, v: { ok: true, text: null, now: moved[1].after, was: moved[1].before } });
          continue;
        }
        const whole = (s: SideValue): Side => (s.ok ? { ok: true, text: s.text, now: s.num, was: '0' } : s);
        pairs.push({ r, batch: false, l: whole(await value(q, env, r.left)), v: whole(await value(q, env, r.right)) });
      }
      type Known = { r: ReconcileRule; l: { text: string | null; now: string; was: string }; v: { text: string | null; now: string; was: string }; batch: boolean };
      const ok = pairs.filter((p) => p.l.ok && p.v.ok) as Known[];
      // compared as numerics in SQL, as the single-check query did (abs(l - r) > tolerance)
      const { rows } = ok.length
        ? await q.query<{ bad: boolean; dl: string; dr: string }>(
          `select abs((ln::numeric - lw::numeric) - (rn::numeric - rw::numeric)) > t::numeric as bad,
                  (ln::numeric - lw::numeric)::text as dl, (rn::numeric - rw::numeric)::text as dr
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality u(ln, lw, rn, rw, t, i) order by i`,
          [ok.map((p) => p.l.now), ok.map((p) => p.l.was), ok.map((p) => p.v.now), ok.map((p) => p.v.was), ok.map((p) => String(p.r.tolerance))])
        : { rows: [] };
      return pairs.map((p): CheckOutcome => {
        const broken = !p.l.ok ? p.l : !p.v.ok ? p.v : undefined;
        if (broken && !broken.ok) return { failingRows: 0, sample: [], note: `check could not run: ${broken.error}`, details: { error: broken.error } };
        const { bad, dl, dr } = rows[ok.findIndex((o) => o.r === p.r)]!;
        if (p.batch) {
          const said = `this batch changed ${p.r.left.label} by ${dl} and ${p.r.right.label} by ${dr}`;
          return bad
            ? { failingRows: 1, sample: [`${said} (equal before it)`] }
            : { failingRows: 0, sample: [], note: `${said}: checked on the batch's change (the totals were equal after the last gate)` };
        }
        const l = p.l as { text: string | null };
        const v = p.v as { text: string | null };
        return bad
          ? { failingRows: 1, sample: [`${p.r.left.label} = ${l.text ?? 'null'}, ${p.r.right.label} = ${v.text ?? 'null'}`] }
          : { failingRows: 0, sample: [] };
      });
    },
  }));
}

/**
 * Rows of a raw table not written by the transaction that created it. The ingest creates each raw
 * table and COPYs the validated rows into it in one transaction (src/ingest/ingest.ts loadOne), so
 * a row whose xmin is that transaction's is exactly as the validator let it through; a row updated
 * or inserted since carries a newer xmin. The creating transaction is read from the table's
 * system-column attributes (pg_attribute, attnum < 0), written by CREATE TABLE and never by ALTER.
 * If the ingest ever loads in another transaction than the one creating the table, every row counts
 * as changed and is evaluated: slower, never wrong.
 */
function changedSinceCreation(qualified: string, alias = 't'): { from: string; changed: string } {
  return {
    from: `cross join (select a.xmin as created from pg_attribute a where a.attrelid = ${sqlLiteral(qualified)}::regclass and a.attnum = -1) l`,
    changed: `not (${alias}.xmin = l.created)`,
  };
}

/**
 * Groups the row rules (and total rules) of each table into one scanning job. The scan counts,
 * evaluating each error rule's condition once per row; the sample keys (and per-column counts) of
 * the error rules that failed are taken by a second scan, which a passing table never pays.
 */
export function fuse(compiled: readonly Compiled[]): CheckJob[] {
  const jobs = [...compiled.filter(isJob), ...reconcileJobs(compiled.filter(isReconcile))];
  const byTable = new Map<string, (RowRule | TotalRule)[]>();
  for (const c of compiled) {
    if (isJob(c) || isReconcile(c)) continue;
    const k = `${c.table.type}:${c.table.name}`;
    byTable.set(k, [...(byTable.get(k) ?? []), c]);
  }
  for (const rules of byTable.values()) {
    const table = rules[0]!.table;
    const rowRules = rules.filter((r): r is RowRule => !isTotal(r));
    const totals = rules.filter(isTotal);
    // A warning's failing rows are a count of the table's rows: a feed batch carries the last
    // gate's count forward by what its writers measured (src/transform/deltas.ts).
    const failingCount = (r: RowRule) => `count(*) filter (where ${r.violation})`;
    const counted = (r: RowRule) => r.meta.severity === 'warn' && table.type === 'ref';
    jobs.push({
      checks: [...rowRules.map((r) => r.meta), ...totals.map((r) => r.meta)],
      weight: 5,
      measures: rowRules.filter(counted).map((r) => ({ table: table.name, expr: failingCount(r) })),
      run: async (q, env) => {
        const qualified = env.table(table);
        // Only when this run's own ingest loaded the raw layer (same code, same specs) does its
        // validation stand for the rows it wrote.
        const proven = env.validatedLoad && table.type === 'source' && rowRules.some((r) => r.enforcedByIngest);
        const since = proven ? changedSinceCreation(qualified) : undefined;
        const flag = (r: RowRule, violation: string) => (since && r.enforcedByIngest ? `(${since.changed} and (${violation}))` : violation);
        const sample = (r: RowRule, i: number) => `(array_agg(${r.key} order by ${r.key}) filter (where ${flag(r, r.violation)}))[1:${SAMPLE_SIZE}] as s${i}`;
        // A warning usually fails (a known issue of the data): its keys are taken in the same scan.
        const early = rowRules.map((r) => r.meta.severity === 'warn');
        // A feed batch checks its error rules on the rows it touched only: every other row is as the
        // last gate that passed left it. Warnings still count over the whole table (their counts
        // are the state of the data, not of the batch).
        const scope = env.touched?.(table);
        // ... except a warning whose count the batch can carry forward: the whole table's count is
        // the last gate's plus what the batch's rows added and took away; its keys are the failing
        // rows among those the batch touched.
        const carried = rowRules.map((r) => {
          if (!scope || !counted(r)) return undefined;
          const was = env.previous?.(r.meta)?.failingRows;
          const moved = env.delta?.(table, failingCount(r));
          const c = was === undefined || !moved ? undefined : { was, added: Number(moved.after), removed: Number(moved.before) };
          return c && c.was + c.added - c.removed >= 0 ? c : undefined; // else the last count is not of this table: count it whole
        });
        const scoped = rowRules.map((r, i) => scope !== undefined && (r.meta.severity === 'error' || carried[i] !== undefined));
        const inScope = scope
          ? `where (${scope.columns.map((c) => `t.${ident(c)}`).join(', ')}) in (select ${scope.columns.map(ident).join(', ')} from ${scope.table})`
          : '';
        const row: Record<string, string | string[] | null> = {};
        const failed: boolean[] = [];
        for (const part of [false, true]) {
          const mine = rowRules.map((_, i) => i).filter((i) => scoped[i] === part);
          if (mine.length === 0 && (part || totals.length === 0)) continue;
          const from = `from ${qualified} t ${since?.from ?? ''} ${part ? inScope : ''}`;
          const selects = [
            ...(part ? [] : ['count(*) as total']),
            ...mine.flatMap((i) => [`count(*) filter (where ${flag(rowRules[i]!, rowRules[i]!.violation)}) as n${i}`, ...(early[i] ? [sample(rowRules[i]!, i)] : [])]),
            ...(since && !part ? [`count(*) filter (where ${since.changed}) as changed`] : []),
          ];
          Object.assign(row, (await q.query<Record<string, string | string[] | null>>(`select ${selects.join(', ')} ${from}`)).rows[0]!);
          for (const i of mine) failed[i] = Number(row[`n${i}`]) > 0;
          // Second scan, when a rule failed: the first keys of the others (built for their failing
          // rows only: an aggregate's filter runs before its arguments), and per-part counts.
          const dsel = mine.flatMap((i) => (failed[i]
            ? [...(early[i] ? [] : [sample(rowRules[i]!, i)]), ...(rowRules[i]!.parts ?? []).map((p, j) => `count(*) filter (where ${flag(rowRules[i]!, p.violation)}) as p${i}_${j}`)]
            : []));
          if (dsel.length) Object.assign(row, (await q.query<Record<string, string | string[] | null>>(`select ${dsel.join(', ')} ${from}`)).rows[0]!);
        }
        const detail = row;
        const total = Number(row.total);
        const changed = Number(row.changed ?? 0);
        const outcomes: CheckOutcome[] = rowRules.map((r, i) => {
          const byColumn: Record<string, number> = {};
          (r.parts ?? []).forEach((p, j) => {
            const n = Number(detail[`p${i}_${j}`] ?? 0);
            if (failed[i] && n > 0) byColumn[p.label] = (byColumn[p.label] ?? 0) + n;
          });
          const c = carried[i];
          if (c) {
            const now = c.was + c.added - c.removed;
            return {
              failingRows: now,
              sample: (detail[`s${i}`] as string[] | null) ?? [],
              note: `${now} failing row(s) in the table: ${c.was} after the last gate, +${c.added} -${c.removed} in the rows this batch wrote; the keys are of the rows it touched`,
              details: { carried: c },
            };
          }
          const provenNote = since && r.enforcedByIngest
            ? `${total - changed} of ${total} rows as validated by this run's ingest (rule enforced row by row on load); ${changed} row(s) written or changed since, checked here`
            : scoped[i] ? TOUCHED_ONLY_NOTE : undefined;
          return {
            failingRows: Number(row[`n${i}`]),
            sample: failed[i] ? ((detail[`s${i}`] as string[] | null) ?? []) : [],
            note: provenNote,
            details: Object.keys(byColumn).length ? { byColumn } : undefined,
          };
        });
        for (const t of totals) outcomes.push(await t.evaluate(total, q, env));
        return outcomes;
      },
    });
  }
  return jobs;
}

const self = (t: TestTarget): { type: 'ref' | 'source'; name: string } => ({ type: t.type, name: t.name });

/**
 * A uniqueness warning's count after a feed batch, from the last gate's and the batch's own rows:
 * only the groups of the key values the batch removed or added can have changed. Each such group's
 * size now is looked up in the table (through its key index), its size before is that minus the
 * rows the batch added to it plus those it removed, and the count moves by the groups that became
 * duplicated less those that stopped being so (a day's few hundred lookups, where counting every
 * group reads the whole table: its cost grew with the warehouse). Undefined when the batch's writer
 * did not keep its rows or the last count is not known: counted whole.
 */
async function carriedDuplicates(q: Queryable, env: CheckEnv, m: CheckMeta, rel: { type: 'ref' | 'source'; name: string }, table: string, columns: readonly string[]): Promise<CheckOutcome | undefined> {
  const moved = env.moved?.(rel);
  const last = moved ? env.previous?.(m) : undefined;
  const lastRows = last && (last.failingRows === 0 ? 0 : Number(last.details?.rows ?? NaN));
  if (!moved || !last || lastRows === undefined || Number.isNaN(lastRows)) return undefined;
  const cols = columns.map(ident);
  const g = (alias: string) => cols.map((c) => `${alias}.${c}`);
  const { rows: [r] } = await q.query<{ became: string; ended: string; rows_now: string; rows_was: string; sample: string[] }>(
    `with changed as (
       select ${cols.join(', ')}, sum(added)::bigint as added, sum(removed)::bigint as removed
         from (select ${cols.join(', ')}, 1 as added, 0 as removed from ${moved.added}
               union all
               select ${cols.join(', ')}, 0, 1 from ${moved.removed}) rows
        where ${cols.map((c) => `${c} is not null`).join(' and ')}
        group by ${cols.join(', ')}),
     sized as (
       select c.*, n.now, n.now - c.added + c.removed as was
         from changed c cross join lateral (select count(*) as now from ${table} t where ${g('t').map((t, i) => `${t} = ${g('c')[i]}`).join(' and ')}) n)
     select count(*) filter (where now > 1 and was <= 1) as became, count(*) filter (where was > 1 and now <= 1) as ended,
            coalesce(sum(now) filter (where now > 1), 0) as rows_now, coalesce(sum(was) filter (where was > 1), 0) as rows_was,
            array(select concat_ws('|', ${g('s').join(', ')}) || ' (' || s.now || ' rows)' from sized s where s.now > 1 order by ${g('s').join(', ')} limit ${SAMPLE_SIZE}) as sample
       from sized`,
  );
  const became = Number(r!.became);
  const ended = Number(r!.ended);
  const n = last.failingRows + became - ended;
  // the groups that were duplicated before (was > 1) among these held rows_was of the last count's rows
  const rows = lastRows + Number(r!.rows_now) - Number(r!.rows_was);
  if (n < 0 || rows < 0) return undefined; // the last count is not of this table: count it whole
  return {
    failingRows: n,
    sample: r!.sample,
    note: `${n} duplicated key(s) in the table: ${last.failingRows} after the last gate, +${became} -${ended} in the rows this batch wrote; the keys are of the groups it touched`,
    details: { ...(n ? { rows } : {}), carried: { was: last.failingRows, added: became, removed: ended } },
  };
}

/** Compiles one declared test into the jobs (queries) that evaluate it. */
export interface CompileOptions {
  /**
   * The ingest enforces this test on what it loads (a source's primary key, which the duplicate-key
   * quarantine makes unique, src/ingest/duplicates.ts): in the run that loaded the raw layer, only
   * what was written or changed since can break it (see changedSinceCreation).
   */
  enforcedByIngest?: boolean;
}

export function compileTest(spec: TestSpec, target: TestTarget, opts: CompileOptions = {}): Compiled[] {
  const meta = (column?: string): CheckMeta => ({
    name: checkName(spec, target, column),
    layer: target.layer,
    target: target.name,
    kind: spec.kind,
    severity: spec.severity ?? DEFAULT_SEVERITY[spec.kind],
    description: column && spec.kind === 'not_null' ? describe({ ...spec, columns: [column] }, target.name) : describe(spec, target.name),
    rule: spec.rule,
    declaredIn: target.declaredIn,
    ...(spec.kind === 'reconcile' ? { reads: spec.target.name } : {}),
  });
  const where = (extra: string) => `where ${spec.where ? `(${spec.where}) and ` : ''}${extra}`;
  const key = keyExpr(target.keyColumns, target.hasLine, 't');
  // null compares to nothing: a filter or violation that is null does not fail the row
  const rowRule = (m: CheckMeta, violation: string, rowKey = key): RowRule => ({
    meta: m, table: self(target), key: rowKey, violation: spec.where ? `coalesce((${spec.where}), false) and coalesce((${violation}), false)` : `coalesce((${violation}), false)`,
  });
  // `scoped` says when a feed batch's run looked at the rows it touched only (the outcome says so)
  const simple = (m: CheckMeta, sql: (env: CheckEnv) => string, weight = 1, scoped?: (env: CheckEnv) => boolean): CheckJob => ({
    checks: [m], weight, run: async (q, env) => {
      const outcome = await countAndSample(q, sql(env));
      return [scoped?.(env) ? { ...outcome, note: outcome.note ?? TOUCHED_ONLY_NOTE } : outcome];
    },
  });

  switch (spec.kind) {
    case 'not_null':
      return spec.columns.map((c) => rowRule(meta(spec.columns.length > 1 ? c : undefined), `t.${ident(c)} is null`));
    case 'unique': {
      // failing = key values held by more than one row; details.rows = the rows holding them
      const cols = spec.columns.map((c) => `t.${ident(c)}`);
      const dcols = spec.columns.map((c) => `d.${ident(c)}`);
      const m = meta();
      // A warning's count carries forward through a feed batch from the groups of the key values
      // its rows removed and added (carriedDuplicates); a filtered one is counted whole.
      const carries = m.severity === 'warn' && !spec.where;
      return [{
        checks: [m],
        weight: 4,
        ...(carries ? { keeps: [{ table: target.name, columns: [...spec.columns] }] } : {}),
        run: async (q, env) => {
          const carried = carries ? await carriedDuplicates(q, env, m, self(target), env.table(self(target)), spec.columns) : undefined;
          if (carried) return [carried];
          // A feed batch can only have made a duplicate out of a key it wrote: the groups of the
          // key values of the rows it touched are enough (an error; a warning counts them all).
          const scope = m.severity === 'error' ? env.touched?.(self(target)) : undefined;
          const table = env.table(self(target));
          const touchedOnly = scope
            ? [`(${cols.join(', ')}) in (select ${spec.columns.map((c) => `s.${ident(c)}`).join(', ')} from ${table} s
                 where (${scope.columns.map((c) => `s.${ident(c)}`).join(', ')}) in (select ${scope.columns.map(ident).join(', ')} from ${scope.table}))`]
            : [];
          // Deletes never make a duplicate, so the keys of the rows written or changed since the
          // ingest deduplicated the table are the only ones that can repeat.
          const since = !scope && opts.enforcedByIngest && env.validatedLoad && m.severity === 'error' ? changedSinceCreation(table, 's') : undefined;
          const changedOnly = since
            ? [`(${cols.join(', ')}) in (select ${spec.columns.map((c) => `s.${ident(c)}`).join(', ')} from ${table} s ${since.from} where ${since.changed})`]
            : [];
          const { rows } = await q.query<{ n: string; r: string | null; sample: string[]; changed: string | null }>(
            `with dup as materialized (
               select ${cols.join(', ')}, count(*) as c from ${table} t
               ${where([...cols.map((c) => `${c} is not null`), ...touchedOnly, ...changedOnly].join(' and '))} group by ${cols.join(', ')} having count(*) > 1)
             select (select count(*) from dup) as n, (select sum(c) from dup) as r,
                    array(select concat_ws('|', ${dcols.join(', ')}) || ' (' || d.c || ' rows)' from dup d order by ${dcols.join(', ')} limit ${SAMPLE_SIZE}) as sample,
                    ${since ? `(select count(*) from ${table} s ${since.from} where ${since.changed})` : 'null'} as changed`,
          );
          const n = Number(rows[0]!.n);
          const note = since ? `keys made unique by this run's ingest (duplicate-key quarantine); the keys of the ${rows[0]!.changed} rows written or changed since, checked here` : undefined;
          return [{ failingRows: n, sample: rows[0]!.sample, note, details: n ? { rows: Number(rows[0]!.r) } : undefined }];
        },
      }];
    }
    case 'accepted_values': {
      const c = `t.${ident(spec.column)}`;
      return [rowRule(meta(), `${c}::text not in (${spec.values.map(sqlLiteral).join(', ')})`, `${key} || ' = ' || ${c}::text`)];
    }
    case 'range': {
      const c = `t.${ident(spec.column)}`;
      const bad: string[] = [];
      if (spec.min !== undefined) bad.push(`${c} ${spec.minExclusive ? '<=' : '<'} ${spec.min}`);
      if (spec.max !== undefined) bad.push(`${c} ${spec.maxExclusive ? '>=' : '>'} ${spec.max}`);
      return [rowRule(meta(), bad.join(' or '), `${key} || ' = ' || ${c}::text`)];
    }
    case 'expression':
      return [rowRule(meta(), `not coalesce((${spec.sql}), true)`)];
    case 'relationships': {
      const notNull = spec.columns.map((c) => `t.${ident(c)} is not null`).join(' and ');
      const match = spec.columns.map((c, i) => `p.${ident(spec.targetColumns[i]!)} = t.${ident(c)}`).join(' and ');
      const value = spec.columns.length === 1 ? `t.${ident(spec.columns[0]!)}::text` : `concat_ws('|', ${spec.columns.map((c) => `t.${ident(c)}`).join(', ')})`;
      const m = meta();
      // A feed batch can only have broken a link through a child row it wrote or a parent key it
      // changed (or removed): those rows are enough for an error (a warning counts them all).
      const touchedOnly = (env: CheckEnv): string => {
        if (m.severity !== 'error' || !env.touched) return '';
        const child = env.touched(self(target));
        if (!child) return '';
        // a parent untouched, or only upserted by key (the feed's raw merge), removed no key
        const parent = env.unchanged?.(spec.target) ? undefined : env.touched(spec.target);
        const parentKept = env.unchanged?.(spec.target) || (parent?.keysKept === true && parent.columns.join() === spec.targetColumns.join());
        if (!parentKept && (!parent || parent.columns.join() !== spec.targetColumns.join())) return '';
        const mine = [`(${child.columns.map((c) => `t.${ident(c)}`).join(', ')}) in (select ${child.columns.map(ident).join(', ')} from ${child.table})`];
        if (parent && !parentKept) mine.push(`(${spec.columns.map((c) => `t.${ident(c)}`).join(', ')}) in (select ${parent.columns.map(ident).join(', ')} from ${parent.table})`);
        return ` and (${mine.join(' or ')})`;
      };
      return [simple(m, (env) =>
        `select ${key} || ' -> ' || ${value} as k from ${env.table(self(target))} t
         ${where(`${notNull}${touchedOnly(env)} and not exists (select 1 from ${env.table(spec.target)} p where ${match})`)}`, 2)];
    }
    case 'reconcile': {
      const tol = spec.tolerance ?? 0;
      if (spec.by.length === 0) {
        return [{
          meta: meta(),
          left: { table: self(target), where: spec.where, sql: spec.left.sql, label: `${target.name} ${spec.left.sql}` },
          right: { table: spec.target, where: spec.targetWhere, sql: spec.right.sql, label: `${spec.target.name} ${spec.right.sql}` },
          tolerance: tol,
        }];
      }
      const by = spec.by.map(ident).join(', ');
      const k = spec.by.length === 1 ? `${ident(spec.by[0]!)}::text` : `concat_ws('|', ${by})`;
      const rm = meta();
      // A feed batch can only have made a group differ through rows it wrote on either side, when
      // both sides are partitioned by the `by` columns (or one side did not change): those groups
      // are enough for an error. Otherwise every group is compared.
      const groups = (env: CheckEnv): string | undefined => {
        if (rm.severity !== 'error' || !env.touched) return undefined;
        const sides = [self(target), spec.target].filter((rel) => !env.unchanged?.(rel)).map((rel) => env.touched!(rel));
        if (sides.some((t) => !t || t.columns.join() !== spec.by.join())) return undefined;
        return sides.map((t) => `select ${by} from ${t!.table}`).join(' union ') || `select ${by} from ${env.table(self(target))} where false`;
      };
      const narrow = (env: CheckEnv, cond: string | undefined, more?: string): string => {
        const g = groups(env);
        const all = [...(cond ? [`(${cond})`] : []), ...(g ? [`(${by}) in (${g})`] : []), ...(more ? [more] : [])];
        return all.length ? `where ${all.join(' and ')}` : '';
      };
      const compared = (env: CheckEnv, more?: string) =>
        `select ${k} || ': ' || coalesce(l.v::text, 'missing') || ' vs ' || coalesce(r.v::text, 'missing') as k
           from (select ${by}, ${spec.left.sql} as v from ${env.table(self(target))} ${narrow(env, spec.where, more)} group by ${by}) l
           full join (select ${by}, ${spec.right.sql} as v from ${env.table(spec.target)} ${narrow(env, spec.targetWhere, more)} group by ${by}) r using (${by})
          where abs(coalesce(l.v, 0)::numeric - coalesce(r.v, 0)::numeric) > ${tol}`;
      const left = rowContribution(spec.left.sql);
      const right = rowContribution(spec.right.sql);
      if (!left || !right) return [simple(rm, (env) => compared(env), 3)];
      // Two sums (or counts) per group: the groups that differ are those whose rows, one side's
      // counted positive and the other's negative, do not add up to zero; one aggregate of both
      // sides' rows instead of one per side and a join of the two (a million orders, alone: 2.7 -> 2.1 s).
      // The values of each side are then computed for the differing groups only, as above.
      return [simple(rm, (env) =>
        `with differing as materialized (
            select ${by} from (
              select ${by}, ${left} as v from ${env.table(self(target))} ${narrow(env, spec.where)}
              union all
              select ${by}, -(${right}) from ${env.table(spec.target)} ${narrow(env, spec.targetWhere)}) sides
            group by ${by} having abs(coalesce(sum(v), 0)) > ${tol})
          ${compared(env, `(${by}) in (select ${by} from differing)`)}`, 3)];
    }
    case 'freshness': {
      const m = meta();
      return [{
        checks: [m],
        run: async (q, env) => {
          const { rows } = await q.query<{ newest: string | null; age: number | null }>(
            `select max(t.${ident(spec.column)})::date::text as newest, ($1::date - max(t.${ident(spec.column)})::date) as age
               from ${env.table(self(target))} t ${spec.where ? `where ${spec.where}` : ''}`,
            [env.logicalDate],
          );
          const { newest, age } = rows[0] ?? { newest: null, age: null };
          const note = `newest ${spec.column} ${newest ?? 'none'}, logical date ${env.logicalDate} (${env.logicalDateSource}), age ${age ?? '?'} day(s), allowed ${spec.maxAgeDays}`;
          const stale = newest === null || age === null || age > spec.maxAgeDays;
          return [{ failingRows: stale ? 1 : 0, sample: stale ? [note] : [], note, details: { newest, age, logicalDate: env.logicalDate } }];
        },
      }];
    }
    case 'scd2': {
      // versions in order of valid_from: each ends where the next begins (no overlap, no gap, no
      // empty range), only the last is open; and exactly one per key is current (the open one)
      const cols = spec.columns.map((c) => `t.${ident(c)}`);
      const k = cols.length === 1 ? `${cols[0]}::text` : `concat_ws('|', ${cols.join(', ')})`;
      const partition = spec.columns.map(ident).join(', ');
      const chained = meta('no_overlap');
      chained.description = `The versions of each ${spec.columns.join(' + ')} in ${target.name} follow each other: no overlapping validity ranges, no gaps, no empty range.`;
      const current = meta('one_current');
      // A feed batch rewrites a dimension key by key (@incremental on the natural key): only the
      // keys it touched can have broken their chain of versions, so an error looks at those only.
      const scope = (env: CheckEnv, m: CheckMeta): TouchedKeys | undefined => {
        const keys = m.severity === 'error' ? env.touched?.(self(target)) : undefined;
        return keys && keys.columns.join() === spec.columns.join() ? keys : undefined;
      };
      const versions = (env: CheckEnv, m: CheckMeta, alias: string): string => {
        const keys = scope(env, m);
        const table = env.table(self(target));
        return keys ? `(select * from ${table} where (${partition}) in (select ${partition} from ${keys.table})) ${alias}` : `${table} ${alias}`;
      };
      current.description = `Each ${spec.columns.join(' + ')} of ${target.name} has exactly one current version, the open-ended one.`;
      return [
        simple(chained, (env) =>
          `select ${k} || ' v' || t.version || ' [' || t.valid_from || ', ' || coalesce(t.valid_to::text, 'open') || ') next ' || coalesce(t.next_from::text, 'none') as k
             from (select s.*, lead(s.valid_from) over (partition by ${spec.columns.map((c) => `s.${ident(c)}`).join(', ')} order by s.valid_from) as next_from
                     from ${versions(env, chained, 's')}) t
            where t.valid_to is distinct from t.next_from or t.valid_to <= t.valid_from`, 3, (env) => scope(env, chained) !== undefined),
        simple(current, (env) =>
          `select ${k} || ': ' || count(*) filter (where t.is_current) || ' current version(s), ' || count(*) filter (where t.valid_to is null) || ' open-ended' as k
             from ${versions(env, current, 't')} group by ${partition}
           having count(*) filter (where t.is_current) <> 1 or count(*) filter (where t.valid_to is null) <> 1
               or bool_or(t.is_current is distinct from (t.valid_to is null))`, 3, (env) => scope(env, current) !== undefined),
      ];
    }
    case 'point_in_time': {
      const c = `t.${ident(spec.column)}`;
      const at = `t.${ident(spec.at)}`;
      const m = meta();
      const dimTable = (env: CheckEnv) => env.table(spec.target);
      // A feed batch can only have broken a row it wrote, or a row pointing to a version of a
      // dimension key it rewrote: those rows are enough for an error. A row left pointing to a
      // version that is gone cannot commit when the column is a declared foreign key (the
      // batch's constraints are checked at commit); without one, every row is checked.
      const touchedRows = (env: CheckEnv): string | undefined => {
        if (m.severity !== 'error' || !env.touched) return undefined;
        const mine = env.touched(self(target));
        const enforced = target.references?.some((r) => r.model === spec.target.name && r.columns.join() === spec.column);
        if (!mine || !enforced) return undefined;
        const table = env.table(self(target));
        const written = `(${mine.columns.map((k) => `t.${ident(k)}`).join(', ')}) in (select ${mine.columns.map(ident).join(', ')} from ${mine.table})`;
        const arms = [`select * from ${table} t where ${written}`];
        // the facts of the versions rewritten, but not written: an anti join, which PostgreSQL drives
        // from the few dimension keys through the fact's index (`not coalesce(... in ...)` made it
        // read the whole fact: 74 -> 10 ms on one scale-1 day)
        if (!env.unchanged?.(spec.target)) {
          const dim = env.touched(spec.target);
          if (!dim) return undefined;
          arms.push(`select * from ${table} t
             where ${c} in (select d.${ident(spec.column)} from ${dimTable(env)} d
                             where (${dim.columns.map((k) => `d.${ident(k)}`).join(', ')}) in (select ${dim.columns.map(ident).join(', ')} from ${dim.table}))
               and not exists (select 1 from ${mine.table} w where ${mine.columns.map((k) => `w.${ident(k)} = t.${ident(k)}`).join(' and ')})`);
        }
        return arms.join(' union all ');
      };
      // a left join: a row whose key is null or names no version points to no version valid at its
      // time, and fails here too (an inner join would drop it and pass it silently). The batch's
      // few rows look their version up by index (lateral); a whole table hashes the dimension.
      const from = (env: CheckEnv): string => {
        const rows = touchedRows(env);
        return rows
          ? `(${rows}) t left join lateral (select * from ${dimTable(env)} p where p.${ident(spec.column)} = ${c} limit 1) p on true`
          : `${env.table(self(target))} t left join ${dimTable(env)} p on p.${ident(spec.column)} = ${c}`;
      };
      return [simple(m, (env) =>
        `select ${key} || ' at ' || coalesce(${at}::text, 'no time') || ' -> ' || coalesce('v' || p.version || ' [' || p.valid_from || ', ' || coalesce(p.valid_to::text, 'open') || ')', 'no version (' || coalesce(${c}::text, 'null') || ')') as k
           from ${from(env)}
          ${where(`(p.${ident(spec.column)} is null or not (${at} >= p.valid_from and (p.valid_to is null or ${at} < p.valid_to)))`)}`, 3, (env) => touchedRows(env) !== undefined)];
    }
    case 'volume':
      throw new Error(`${target.declaredIn}: volume(...) is a source check (declare it in the source spec's checks)`);
  }
}
