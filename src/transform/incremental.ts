/**
 * Updates the published models in place for one batch of the feed, inside the batch's
 * transaction (src/feed/apply.ts), from the same model SQL as the full build:
 *
 * - A model with `-- @incremental: <key>` is partitioned by that column. Its
 *   `-- @incremental_scope:` queries name the key values the batch touches, from the raw rows the
 *   batch changed (`{{ changed('orders') }}`) and the keys touched upstream
 *   (`{{ touched('stg_orders') }}`). Those partitions are recomputed with the model's own query
 *   filtered on the key (`key = any(array)`, which PostgreSQL pushes down to the indexes), so
 *   every row of a touched partition, medians and distinct counts included, is what a full build
 *   would give; only the rows that differ from what the table holds are written (writeDifference).
 * - A model without a key (small reference tables, the calendar) is recomputed whole when anything
 *   upstream changed (and its `-- @incremental_when:` query, if any, says the batch can change it),
 *   and only the rows that differ are written, by the same writer.
 * - A model with `-- @incremental_additive: <ref>` sums the rows of one partitioned model by its
 *   primary key. The rows that ref's recomputed partitions lost and gained in this batch are kept
 *   (deleted_<ref>, inserted_<ref>); the model's own query over each gives what to subtract and to
 *   add, and the groups are updated by that difference. A group's cost is that of the batch's rows,
 *   not of the group: São Paulo's orders are not counted again for a day's few hundred. Distinct
 *   counts stay exact when the ref has one row per counted thing (a person per state: a count of
 *   rows is a count of people).
 *
 * Scopes are evaluated twice: before the raw layer changes (the partitions rows are leaving) and
 * after the upstream models were updated (the partitions they arrive in). Foreign keys are checked
 * at commit (they are deferrable), so a dimension row can be replaced before its facts are.
 */
import { ident, literal, type Client } from '../db/connection.ts';
import { SOURCES } from '../sources/index.ts';
import { analyzeTemporary, tableStatistics } from '../db/statistics.ts';
import { columnsOfRelations, prepareWorkTables, workTable } from '../db/workTables.ts';
import { RAW_SCHEMA } from '../ingest/ingest.ts';
import { compileModel } from './build.ts';
import type { BatchDeltas } from './deltas.ts';
import { CHANGE_ROWS, replaceRefs, THIS, type Model } from './models.ts';

const publishedSchema = (layer: string): string => layer;
/** Up to this many touched keys, a model's touched table is analyzed (applyModels). */
const FEW_KEYS = 300;
export const changedTable = (source: string): string => workTable(`changed_${source}`);
/** Column of `changed_<source>`: the columns a batch changed for the key, null for any (a new key): src/feed/merge.ts. */
export const CHANGED_COLUMNS = '_changed_columns';
export const touchedTable = (model: string): string => workTable(`touched_${model}`);
/** The rows a partitioned model's update deleted and inserted in this batch, kept when an additive model, a changes() scope or the gate reads them. */
const deletedTable = (model: string): string => workTable(`deleted_${model}`);
const insertedTable = (model: string): string => workTable(`inserted_${model}`);

export interface ModelChange {
  model: string;
  strategy: 'partitions' | 'whole' | 'additive' | 'skipped' | 'view';
  /** Partitions (or rows, for whole models) recomputed. */
  touched: number;
  deleted: number;
  inserted: number;
  /** Rows rewritten in place (a partitioned model's rows whose primary key stayed). */
  updated?: number;
  /** Partitions recomputed, of which `touched` came out different (a partitioned model). */
  recomputed?: number;
  ms: number;
  /** The batch rewrote a large share of the table, so it analyzed it (src/db/statistics.ts). */
  analyzed?: boolean;
}

/** Columns identifying what a model's batch touches: its partition key, or its primary key. */
function touchKey(m: Model): string[] {
  if (m.incremental) return [m.incremental.key];
  if (!m.primaryKey) throw new Error(`${m.file}: a model without '@incremental' needs a '@primary_key' to be updated by the feed`);
  return m.primaryKey;
}

/** `{{ changes('<model>'[, '<column>', ...]) }}` in a scope (changesScope). */
const CHANGES = /\{\{\s*changes\(\s*'([a-z0-9_]+)'((?:\s*,\s*'[a-z0-9_]+')*)\s*\)\s*\}\}/g;
/** `{{ changed('<source>'[, '<column>', ...]) }}` in a scope (changedScope). */
const CHANGED = /\{\{\s*changed\(\s*'([a-z0-9_]+)'((?:\s*,\s*'[a-z0-9_]+')*)\s*\)\s*\}\}/g;
const TOUCHED = /\{\{\s*touched\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g;
const REF = /\{\{\s*ref\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g;
const columnList = (list: string): string[] => [...list.matchAll(/'([a-z0-9_]+)'/g)].map((c) => c[1]!);
/** A macro and the word after it, which may be the alias the scope gives it. */
const withAlias = (macro: RegExp): RegExp => new RegExp(`${macro.source}(\\s+(?:as\\s+)?([a-z_][a-z0-9_]*))?`, 'gi');
/** What may follow a relation in FROM without being its alias. */
const NOT_AN_ALIAS = new Set(['where', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'union', 'except', 'intersect', 'group', 'order', 'limit', 'offset', 'having', 'window', 'for', 'fetch']);

/**
 * A macro's subquery where a relation is expected: PostgreSQL before 16 wants a subquery in FROM
 * named, so it is given the scope's own alias if it wrote one, else the macro's name.
 */
function named(subquery: string, fallback: string, after: string | undefined, word: string | undefined): string {
  if (word !== undefined && !NOT_AN_ALIAS.has(word.toLowerCase())) return `${subquery} as ${ident(word)}`;
  return `${subquery} as ${ident(fallback)}${after ?? ''}`;
}

/** Which pass a scope is evaluated in: before the raw merge, or after the models upstream were updated. */
type Pass = 'before' | 'after';

function compileScope(sql: string, model: Model, byName: ReadonlyMap<string, Model>, pass: Pass): string {
  const withRefs = compileModel({ ...model, sql }, byName, RAW_SCHEMA, publishedSchema);
  return withRefs
    .replace(withAlias(CHANGES), (_, name: string, list: string, after?: string, word?: string) =>
      named(changesScope(model, byName, name, columnList(list), pass), `changes_${name}`, after, word))
    .replace(withAlias(CHANGED), (_, s: string, list: string, after?: string, word?: string) => {
      const columns = columnList(list);
      return columns.length === 0 ? `${changedTable(s)}${after ?? ''}` : named(changedScope(model, s, columns), `changed_${s}`, after, word);
    })
    .replace(TOUCHED, (_, m: string) => {
      if (!byName.has(m)) throw new Error(`${model.file}: touched('${m}') names no model`);
      return touchedTable(m);
    });
}

/**
 * `{{ changed('orders') }}`: the keys of the source's rows the batch writes. With columns,
 * `{{ changed('orders', 'customer_id', 'order_purchase_timestamp') }}`, only those whose write changes
 * one of them (or is a new key): a model that reads those columns alone is not touched by the
 * others (people_dim by an order's status).
 */
function changedScope(model: Model, source: string, columns: readonly string[]): string {
  const spec = SOURCES.find((s) => s.name === source);
  if (!spec) throw new Error(`${model.file}: changed('${source}') names no source`);
  const unknown = columns.find((c) => !spec.columns.some((x) => x.name === c));
  if (unknown) throw new Error(`${model.file}: changed('${source}', ...) names '${unknown}', not a column of ${source}`);
  return `(select * from ${changedTable(source)} where ${CHANGED_COLUMNS} is null or ${CHANGED_COLUMNS} && array[${columns.map(literal).join(', ')}]::text[])`;
}

/**
 * `{{ changes('order_fulfillment_fact', 'customer_key', 'is_revenue') }}`: the rows of that
 * partitioned model, as they were and as they are, of the partitions whose rows changed in one of
 * these columns (compared as a multiset per partition; a partition that came or went counts). A
 * model that reads only those columns upstream is untouched by the rest: a per-person mart by an
 * order moving from approved to shipped. Without columns, `{{ changes('delivered_orders') }}`, a
 * partition counts when any of its rows changed. The rows as they were carry the partitions they
 * leave, so the pass before the merge has nothing to add (and the model has not been updated yet).
 */
function changesScope(model: Model, byName: ReadonlyMap<string, Model>, name: string, columns: readonly string[], pass: Pass): string {
  const upstream = byName.get(name);
  if (!upstream?.incremental || !model.refs.includes(name)) {
    throw new Error(`${model.file}: changes('${name}', ...) needs a model it refs that is partitioned by '@incremental'`);
  }
  // before the update its kept tables are empty (and reading them locks no model table)
  if (pass === 'before') return `(select * from ${deletedTable(name)} where false)`;
  const key = ident(upstream.incremental.key);
  const cols = columns.length === 0 ? '*' : [key, ...columns.filter((c) => c !== upstream.incremental!.key).map(ident)].join(', ');
  const was = deletedTable(name);
  const is = insertedTable(name);
  return `(with moved_keys as (
      select ${key} from ((select ${cols} from ${was} except all select ${cols} from ${is})
                          union all
                          (select ${cols} from ${is} except all select ${cols} from ${was})) moved)
    select * from ${was} where ${key} in (select ${key} from moved_keys)
    union all
    select * from ${is} where ${key} in (select ${key} from moved_keys))`;
}

/**
 * The partitioned models whose batch change (deleted_<m>, inserted_<m>) is kept, and which of their
 * columns: all of them for an additive model's ref (its query runs over them), else the key and
 * the columns the `changes()` scopes name (what they compare and may read: a fact's fifty columns
 * cost a tenth of a second to keep whole).
 */
function keptModels(models: readonly Model[], deltas?: BatchDeltas): Map<string, string[] | 'all'> {
  const kept = new Map<string, string[] | 'all'>();
  // the columns the gate carries a count by (deltas.ts), of the partitioned models
  for (const m of models) {
    const columns = deltas?.columns(m.name) ?? [];
    if (m.incremental && columns.length > 0) kept.set(m.name, [...new Set([m.incremental.key, ...columns])]);
    // a model recomputed whole keeps the rows it changed for them too
    else if (!m.incrementalAdditive && m.materialized !== 'view' && m.primaryKey && columns.length > 0) kept.set(m.name, [...new Set([...m.primaryKey, ...columns])]);
  }
  for (const m of models) {
    if (m.incrementalAdditive) kept.set(m.incrementalAdditive, 'all');
    for (const [, , name] of m.incrementalSql ? m.incrementalSql.matchAll(CHANGE_ROWS) : []) {
      if (!models.find((x) => x.name === name)?.incremental) throw new Error(`${m.file}: removed('${name}') and added('${name}') need '${name}' partitioned ('@incremental: <key>')`);
      kept.set(name!, 'all');
    }
    for (const [, name, list] of (m.incremental?.scopes ?? []).flatMap((s) => [...s.matchAll(CHANGES)])) {
      const upstream = models.find((x) => x.name === name);
      const had = kept.get(name!);
      if (had === 'all' || !upstream?.incremental) continue;
      const named = columnList(list!);
      kept.set(name!, named.length === 0 ? 'all' : [...new Set([...(had ?? []), upstream.incremental.key, ...named])]);
    }
  }
  return kept;
}

/**
 * A model scoped on changes() knows its touched keys only after the merge (and so does one passing
 * them on with touched()): the pass before it sees none of them. A scope that finds partitions
 * through such a model's rows (`ref(m) where key in touched(m)`) would then miss the partitions its
 * old rows were in (a cohort a person leaves when their only order is canceled), so it must read
 * changes(m), which carries the old rows too. Checked for every model at the start of a batch.
 */
function checkLateScopes(models: readonly Model[]): void {
  const late = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const m of models) {
      const scopes = m.incremental?.scopes ?? [];
      if (late.has(m.name) || !scopes.some((s) => [...s.matchAll(CHANGES)].length > 0 || [...s.matchAll(TOUCHED)].some((t) => late.has(t[1]!)))) continue;
      late.add(m.name);
      grew = true;
    }
  }
  for (const m of models) {
    for (const s of m.incremental?.scopes ?? []) {
      const refs = new Set([...s.matchAll(REF)].map((r) => r[1]!));
      const through = [...s.matchAll(TOUCHED)].map((t) => t[1]!).find((t) => late.has(t) && refs.has(t));
      if (through) {
        throw new Error(`${m.file}: the scope '${s}' finds partitions through ref('${through}') of the keys touched('${through}') holds, which the pass before the merge does not see (${through} is scoped on changes()): read {{ changes('${through}') }} instead, which holds its old rows too`);
      }
    }
  }
}

/** What a kept model keeps of its rows: a select list. */
const keptList = (columns: string[] | 'all'): string => (columns === 'all' ? '*' : columns.map(ident).join(', '));

/** Every model table's columns and their types, read once per batch (createTouchedTables) for applyPartitions and applyAdditive. */
const modelColumns = new WeakMap<object, Map<string, { name: string; type: string }[]>>();

function columnsOf(client: Client, m: Model): { name: string; type: string }[] {
  const columns = modelColumns.get(client)?.get(m.name);
  if (!columns) throw new Error(`${m.file}: the batch's tables were not created (createTouchedTables) before its update`);
  return columns;
}

/**
 * Empty `touched_<model>` tables typed like the model's key columns, and the `deleted_<m>` /
 * `inserted_<m>` tables of the kept models: work tables kept between batches (src/db/workTables.ts),
 * with one catalog query and one statement for all the models (a round trip per model was a good
 * part of a small batch's bookkeeping). Types come from the catalog, so that no model table is
 * locked before the batch reaches it.
 */
export async function createTouchedTables(client: Client, models: readonly Model[], deltas?: BatchDeltas): Promise<void> {
  checkLateScopes(models);
  const tables = models.filter((m) => m.materialized !== 'view'); // nothing to update: a view reads the updated tables
  const relOf = (m: Model) => `${ident(publishedSchema(m.layer))}.${ident(m.name)}`;
  const typedColumns = await columnsOfRelations(client, tables.map(relOf));
  modelColumns.set(client, new Map(tables.map((m, i) => [m.name, typedColumns[i]!])));
  const typed = (m: Model, names: readonly string[]): string => names.map((c) => `${ident(c)} ${columnType(client, m, c)}`).join(', ');
  const kept = keptModels(models, deltas);
  await prepareWorkTables(client, [
    ...tables.map((m) => ({ name: `touched_${m.name}`, columns: typed(m, touchKey(m)) })),
    // empty until the model's update fills them, so a scope reading them also works when it was skipped
    ...tables.filter((m) => kept.has(m.name)).flatMap((m) => {
      const keep = kept.get(m.name)!;
      const columns = typed(m, keep === 'all' ? columnsOf(client, m).map((c) => c.name) : keep);
      return [{ name: `deleted_${m.name}`, columns }, { name: `inserted_${m.name}`, columns }];
    }),
  ]);
}

/**
 * A partition's rewrite may pass a unique value from one row to another within its statement
 * (applyPartitions), so the feed needs the models' `@unique` constraints checked at the end of each
 * statement. A warehouse built before they were (checked row by row) gets them remade once, here,
 * before its first batch: PostgreSQL cannot make a unique constraint deferrable in place.
 */
export async function ensureUniquesPerStatement(db: Pick<Client, 'query'>, models: readonly Model[]): Promise<void> {
  const tables = models.filter((m) => m.materialized !== 'view' && m.unique.length > 0).map((m) => `${ident(publishedSchema(m.layer))}.${ident(m.name)}`);
  const { rows } = await db.query<{ rel: string; name: string; columns: string }>(
    `select c.conrelid::regclass::text as rel, c.conname as name,
            (select string_agg(quote_ident(a.attname), ', ' order by k.i) from unnest(c.conkey) with ordinality k(n, i)
               join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns
       from pg_constraint c
      where c.contype = 'u' and not c.condeferrable and c.conrelid = any(array(select to_regclass(t) from unnest($1::text[]) t where to_regclass(t) is not null))`,
    [tables],
  );
  for (const r of rows) {
    await db.query(`alter table ${r.rel} drop constraint ${ident(r.name)}, add constraint ${ident(r.name)} unique (${r.columns}) deferrable initially immediate`);
  }
}

/** Where a feed batch's gate finds the keys of the rows a model's update touched (touched_<model>). */
export function touchedScope(m: Model): { table: string; columns: string[] } {
  return { table: touchedTable(m.name), columns: touchKey(m) };
}

/** Pass one, before the raw layer changes: the partitions each model's current rows are in (one round trip for all). */
export async function collectScopesBefore(client: Client, models: readonly Model[]): Promise<void> {
  const byName = new Map(models.map((m) => [m.name, m]));
  const statements = models.filter((m) => m.incremental && m.incremental.scopes.length > 0).map((m) => scopeSql(m, byName, 'before'));
  if (statements.length) await client.query(statements.join(';\n'));
}

function scopeSql(m: Model, byName: ReadonlyMap<string, Model>, pass: Pass): string {
  const key = ident(m.incremental!.key);
  const union = m.incremental!.scopes.map((s) => `(${compileScope(s, m, byName, pass)})`).join('\nunion\n');
  return `insert into ${touchedTable(m.name)} (${key})
     select k from (${union}) scope(k) where k is not null
     except select ${key} from ${touchedTable(m.name)}`;
}


/**
 * Pass two, after the raw merge: every model in dependency order. `changedSources` are the sources
 * whose raw rows the batch changed (a model with none of them upstream and no touched upstream
 * model is skipped at no cost).
 */
export async function applyModels(client: Client, models: readonly Model[], changedSources: ReadonlySet<string>, deltas?: BatchDeltas): Promise<ModelChange[]> {
  const byName = new Map(models.map((m) => [m.name, m]));
  const kept = keptModels(models, deltas);
  const dirty = new Set<string>();
  const changes: ModelChange[] = [];
  const statistics = await tableStatistics(client, [...new Set(models.map((m) => publishedSchema(m.layer)))]);
  for (const m of models) {
    const started = performance.now();
    if (m.materialized === 'view') {
      changes.push({ model: m.name, strategy: 'view', touched: 0, deleted: 0, inserted: 0, ms: 0 });
      continue;
    }
    const upstreamChanged = m.sources.some((s) => changedSources.has(s)) || m.refs.some((r) => dirty.has(r));
    if (!upstreamChanged) {
      changes.push({ model: m.name, strategy: 'skipped', touched: 0, deleted: 0, inserted: 0, ms: 0 });
      continue;
    }
    if (!m.incremental && m.incrementalWhen && !(await mayChange(client, m, byName))) {
      changes.push({ model: m.name, strategy: 'skipped', touched: 0, deleted: 0, inserted: 0, ms: Math.round(performance.now() - started) });
      continue;
    }
    const change = m.incremental
      ? await applyPartitions(client, m, byName, kept.get(m.name), deltas)
      : m.incrementalAdditive ? await applyAdditive(client, m, byName, deltas) : await applyWhole(client, m, byName, kept.get(m.name), deltas);
    // the models after this one, and the gate, plan with its new size (src/db/statistics.ts)
    if (await statistics.refreshIfStale(publishedSchema(m.layer), m.name, change.deleted + change.inserted + (change.updated ?? 0))) change.analyzed = true;
    // The scopes downstream and the gate join this table of keys to whole models: planned from its
    // page count, a few keys look like a thousand and the join hashes a fact whole instead of
    // looking the keys up (src/db/statistics.ts). A large set is planned about right without it.
    if (change.touched > 0 && change.touched <= FEW_KEYS) await analyzeTemporary(client, [touchedTable(m.name)]);
    change.ms = Math.round(performance.now() - started);
    if (change.touched > 0) dirty.add(m.name);
    changes.push(change);
  }
  return changes;
}

/** `-- @incremental_when:` of a whole model: false means the batch cannot change it (the calendar when no date falls outside it). */
async function mayChange(client: Client, m: Model, byName: ReadonlyMap<string, Model>): Promise<boolean> {
  if ([...m.incrementalWhen!.matchAll(CHANGES)].length > 0) throw new Error(`${m.file}: '@incremental_when' cannot read changes(): no model keeps its change for it`);
  const { rows } = await client.query<{ v: boolean | null }>(`select (${compileScope(m.incrementalWhen!, m, byName, 'after')}) as v`);
  return rows[0]?.v !== false;
}

/** A model column's type, from the catalog read at the start of the batch. */
function columnType(client: Client, m: Model, column: string): string {
  const col = columnsOf(client, m).find((x) => x.name === column);
  if (!col) throw new Error(`${m.file}: '${column}' is not a column of the model (named as its key, or by a changes('${m.name}', ...) scope)`);
  return col.type;
}

/**
 * The model's SQL with every ref partitioned by the same key (an order fact reading the staged
 * orders, items, payments and reviews, all keyed by order_id) narrowed to the touched keys: a row
 * of partition K is computed from the upstream rows of partition K only, which is what the shared
 * key name declares. PostgreSQL cannot push `key = any(...)` through a LEFT JOIN into a grouped
 * subquery on its own, so without this it would aggregate every order to keep a few.
 */
function partitionScoped(m: Model, byName: ReadonlyMap<string, Model>): { model: Model; narrowed: boolean } {
  const key = m.incremental!.key;
  let narrowed = false;
  // named like the ref (or as the model's SQL names it): PostgreSQL before 16 wants a subquery in FROM named
  const sql = m.sql.replace(withAlias(REF), (whole, name: string, after?: string, word?: string) => {
    const dep = byName.get(name);
    if (dep?.incremental?.key !== key) return whole;
    narrowed = true;
    return named(`(select * from {{ ref('${name}') }} where ${ident(key)} = any($1))`, name, after, word);
  });
  // A CTE used twice is materialized whole by default, which stops the key filter at its border;
  // inlined, the filter reaches the tables (measured: seller_performance for 500 sellers, 1.18 s -> 0.97 s).
  return { model: { ...m, sql: sql.replace(/(\bwith\s+|,\s*)([a-z_][a-z0-9_]*)\s+as\s+\(/g, '$1$2 as not materialized (') }, narrowed };
}

/**
 * The statement tail that writes a model's difference in place, from `diff` (`old`, `new`: a row of
 * the table and its fresh row, either null, paired by primary key and differing): deletes the rows
 * with no fresh one, updates those whose key stays, inserts the new; and counts the fresh rows'
 * repeated keys (`fresh`), which a full build refuses on its primary key and an update from a
 * join would not notice.
 */
function writeDifference(table: string, pk: readonly string[], rest: readonly string[]): string {
  const samePk = pk.map((c) => `t.${c} = (d.old).${c}`).join(' and ');
  return `gone as (delete from ${table} t using diff d where d.new is null and ${samePk} returning 1),
     moved as (update ${table} t set ${rest.length ? rest.map((c) => `${c} = (d.new).${c}`).join(', ') : `${pk[0]} = t.${pk[0]}`}
                 from diff d where not (d.old is null) and not (d.new is null) and ${samePk} returning 1),
     came as (insert into ${table} select (d.new).* from diff d where d.old is null returning 1)`;
}

/** The counts of what writeDifference wrote, and of the repeated fresh keys, as select-list items (beside an aggregate, which makes the select one row). */
const writtenCounts = (pk: readonly string[]): string =>
  `(select count(*) from gone)::int as gone, (select count(*) from moved)::int as moved, (select count(*) from came)::int as came,
   (select count(*) from (select 1 from fresh group by ${pk.join(', ')} having count(*) > 1) r)::int as repeated`;

/** What writeDifference's statement returned: its two rows (side 0, the rows as they were; 1, as they are), checked. */
function writtenSides(m: Model, rows: Record<string, unknown>[]): { was: Record<string, unknown>; is: Record<string, unknown> } {
  const was = rows.find((r) => Number(r.side) === 0)!;
  const is = rows.find((r) => Number(r.side) === 1)!;
  // The statement is rolled back with the batch.
  if (Number(was.repeated) > 0) {
    throw new Error(`${m.file}: the recomputed rows repeat ${was.repeated} primary key value(s) (${(m.primaryKey ?? []).join(', ')}): a key is repeated`);
  }
  return { was, is };
}

async function applyPartitions(client: Client, m: Model, byName: ReadonlyMap<string, Model>, keep: string[] | 'all' | undefined, deltas?: BatchDeltas): Promise<ModelChange> {
  const column = m.incremental!.key;
  const key = ident(column);
  const table = `${ident(publishedSchema(m.layer))}.${ident(m.name)}`;
  const type = columnType(client, m, column);
  // pass two's scope and every touched key in one round trip: the select sees the table as the
  // statement found it (the pass before the merge), the insert's own rows come back from it
  const { rows } = await client.query<{ keys: unknown[] | null }>(
    `with added as (${scopeSql(m, byName, 'after')} returning ${key})
     select array_agg(${key}) as keys from (select ${key} from ${touchedTable(m.name)} union all select ${key} from added) k`,
  );
  const keys = rows[0]?.keys ?? [];
  if (keys.length === 0) return { model: m.name, strategy: 'partitions', touched: 0, deleted: 0, inserted: 0, ms: 0 };
  // The key list goes in as a constant array so the planner pushes `key = any(...)` into the model's
  // CTEs (through GROUP BY and PARTITION BY on the key) and reaches the indexes. When the model's
  // refs of the same key are narrowed already, the outer filter is kept out of its query
  // (offset 0): pushed down, it would meet the ref's own filter on the same column, and the
  // planner, multiplying the two, would expect a handful of rows for a thousand keys and loop over
  // whole tables for each of them (scale 10: the order fact's update 0.4 s for 1,200 orders, its
  // calendar joins rescanned 1,200 times). The filter still applies on top, so the rows are the
  // same either way.
  const { model: scoped, narrowed } = partitionScoped(m, byName);
  const recompute = `select * from (${compileModel(scoped, byName, RAW_SCHEMA, publishedSchema)}${narrowed ? '\n offset 0' : ''}) model where model.${key} = any($1::${type}[])`;
  const measured = deltas && deltas.exprs(m.name).length > 0 ? deltas.selectList(m.name) : undefined;
  // The partitions are rewritten in place, row by row against what they hold (one statement):
  // a row the same as the fresh one is left alone, one whose primary key stays is updated, the
  // others deleted or inserted. A day re-sends an order with a new status, and most of the rows
  // it recomputes come out as they were (its payments, the marts that read only its date) or
  // differ in a column no index holds: deleting and inserting them wrote every index of a fact
  // table and queued one foreign-key check per reference and row, and that is what grew with the
  // warehouse (docs/benchmarks.md). Only the partitions that differ stay touched, so the models
  // downstream and the gate do not recompute or check what did not change; the rows kept for
  // them (deleted_<m>, inserted_<m>) and the gate's measures are those partitions' rows as they
  // were and as they are, as before.
  const pk = m.primaryKey!.map(ident);
  const onKey = (a: string, b: string): string => pk.map((c) => `${a}.${c} = ${b}.${c}`).join(' and ');
  const rest = columnsOf(client, m).map((c) => ident(c.name)).filter((c) => !pk.includes(c));
  const parts = (rows: string): string => `${rows} t where t.${key} in (select k from parts)`;
  const { rows: sides } = await client.query<Record<string, unknown>>(
    `with fresh as materialized (${recompute}),
     old as materialized (select * from ${table} where ${key} = any($1::${type}[])),
     -- record_image_eq (*=): equal to the byte, as a full build would write it (1.0 and 1.00 differ)
     diff as materialized (select o as old, f as new from old o full join fresh f on ${onKey('o', 'f')}
                            where o is null or f is null or not (o *= f)),
     parts as materialized (select distinct coalesce((d.new).${key}, (d.old).${key}) as k from diff d),
     ${writeDifference(table, pk, rest)},
     same as (delete from ${touchedTable(m.name)} w where not exists (select 1 from parts p where p.k = w.${key}) returning 1)
     ${keep ? `, kept_old as (insert into ${deletedTable(m.name)} select ${keptList(keep)} from ${parts('old')})
     , kept_new as (insert into ${insertedTable(m.name)} select ${keptList(keep)} from ${parts('fresh')})` : ''}
     select 0 as side, count(*)::int as n, ${writtenCounts(pk)}, (select count(*) from parts)::int as parts${measured ? `, ${measured}` : ''} from ${parts('old')}
     union all
     select 1, count(*)::int, 0, 0, 0, 0, 0${measured ? `, ${measured}` : ''} from ${parts('fresh')}`,
    [keys],
  );
  const { was, is } = writtenSides(m, sides);
  if (measured) deltas!.record(m.name, was, is);
  if (deltas && deltas.columns(m.name).length > 0) deltas.keepRows(m.name, { removed: deletedTable(m.name), added: insertedTable(m.name) });
  return {
    model: m.name, strategy: 'partitions', touched: Number(was.parts), recomputed: keys.length,
    deleted: Number(was.gone), inserted: Number(was.came), updated: Number(was.moved), ms: 0,
  };
}

/** The model as a batch recomputes it: its is_incremental() branch, reading its own rows and its refs' change, or its query. */
function feedBranch(m: Model): Model {
  if (!m.incrementalSql) return m;
  const sql = m.incrementalSql
    .replace(new RegExp(THIS.source, 'g'), `${ident(publishedSchema(m.layer))}.${ident(m.name)}`)
    .replace(CHANGE_ROWS, (_, which: string, name: string) => (which === 'removed' ? deletedTable(name) : insertedTable(name)));
  return { ...m, sql };
}

async function applyWhole(client: Client, m: Model, byName: ReadonlyMap<string, Model>, keep: string[] | 'all' | undefined, deltas?: BatchDeltas): Promise<ModelChange> {
  const table = `${ident(publishedSchema(m.layer))}.${ident(m.name)}`;
  const pk = touchKey(m).map(ident);
  const rest = columnsOf(client, m).map((c) => ident(c.name)).filter((c) => !pk.includes(c));
  const measured = deltas && deltas.exprs(m.name).length > 0 ? deltas.selectList(m.name) : undefined;
  // The rows that differ, found by a hash join on the primary key and a comparison to the byte
  // (both tables read once: `except all` sorted both whole, customer_rfm 2 x 440 ms -> 2 x 50 ms),
  // and written in place in the same statement (writeDifference): a handful of temporary tables
  // a model and a statement each cost 2-4 ms apiece on a small day.
  const side = (which: 'old' | 'new') => `(select (d.${which}).* from diff d where not (d.${which} is null)) t`;
  const { rows } = await client.query<Record<string, unknown>>(
    `with fresh as materialized (${compileModel(feedBranch(m), byName, RAW_SCHEMA, publishedSchema)}),
     diff as materialized (select t as old, f as new from ${table} t full join fresh f on ${pk.map((c) => `f.${c} = t.${c}`).join(' and ')}
                            where t is null or f is null or not (t *= f)),
     ${writeDifference(table, pk, rest)},
     touched as (insert into ${touchedTable(m.name)} (${pk.join(', ')}) select ${pk.map((c) => `coalesce((d.new).${c}, (d.old).${c})`).join(', ')} from diff d)
     ${keep ? `, kept_old as (insert into ${deletedTable(m.name)} select ${keptList(keep)} from ${side('old')})
     , kept_new as (insert into ${insertedTable(m.name)} select ${keptList(keep)} from ${side('new')})` : ''}
     select 0 as side, count(*)::int as n, ${writtenCounts(pk)}, (select count(*) from diff)::int as touched${measured ? `, ${measured}` : ''} from ${side('old')}
     union all
     select 1, count(*)::int, 0, 0, 0, 0, 0${measured ? `, ${measured}` : ''} from ${side('new')}`,
  );
  const { was, is } = writtenSides(m, rows);
  if (measured) deltas!.record(m.name, was, is);
  if (deltas && deltas.columns(m.name).length > 0) deltas.keepRows(m.name, { removed: deletedTable(m.name), added: insertedTable(m.name) });
  return {
    model: m.name, strategy: 'whole', touched: Number(was.touched),
    deleted: Number(was.gone), inserted: Number(was.came), updated: Number(was.moved), ms: 0,
  };
}

/**
 * An additive model (`@incremental_additive: <ref>`): its own query over the ref's deleted rows and
 * over its inserted rows gives, per group, what the batch took away and brought; the groups are
 * upserted with the difference, and a group whose sums all come to zero (no rows left upstream) is
 * deleted. Exact for sums and counts of exact (integer, numeric) values.
 */
async function applyAdditive(client: Client, m: Model, byName: ReadonlyMap<string, Model>, deltas?: BatchDeltas): Promise<ModelChange> {
  const source = m.incrementalAdditive!;
  const table = `${ident(publishedSchema(m.layer))}.${ident(m.name)}`;
  const columns = columnsOf(client, m);
  const pk = m.primaryKey!;
  const isSum = (c: { name: string; type: string }) => !pk.includes(c.name) && /^(smallint|integer|bigint|numeric)/.test(c.type);
  const inexact = columns.find((c) => !pk.includes(c.name) && /^(real|double precision)/.test(c.type));
  if (inexact) throw new Error(`${m.file}: '@incremental_additive' needs exact sums; column ${inexact.name} is ${inexact.type}`);
  const sums = columns.filter(isSum).map((c) => ident(c.name));
  if (sums.length === 0) throw new Error(`${m.file}: '@incremental_additive' needs at least one integer or numeric column to add`);
  const keys = pk.map(ident);
  const attributes = columns.filter((c) => !pk.includes(c.name) && !isSum(c)).map((c) => ident(c.name));
  const all = columns.map((c) => ident(c.name));
  const over = (rows: string) => {
    const sql = replaceRefs(m.sql, (name, whole) => (name === source ? rows : whole));
    return compileModel({ ...m, sql }, byName, RAW_SCHEMA, publishedSchema);
  };
  // One statement (a temporary table and six round trips a model before): the change per group,
  // the groups it changes, their rows as they were and as they will be, and the writes.
  const onKeys = (a: string, b: string) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' and ');
  // A group whose change cancels out (an order moved within it) is left as it is, unless an
  // attribute changed (a function of the key: it comes from the rows brought, which carry its
  // current value, as when a state's region is renamed and all its rows are recomputed).
  const unchanged = [...sums.map((x) => `d.${x} = 0`), ...attributes.map((a) => `t.${a} is not distinct from d.${a}`)].join(' and ');
  const measured = deltas && deltas.exprs(m.name).length > 0 ? deltas.selectList(m.name) : undefined;
  const { rows } = await client.query<Record<string, unknown>>(
    `with delta as materialized (
       select ${[...keys, ...attributes.map((a) => `(array_agg(${a} order by brought desc))[1] as ${a}`), ...sums.map((x) => `coalesce(sum(${x}), 0) as ${x}`)].join(', ')}
         from (select ${all.join(', ')}, true as brought from (${over(insertedTable(source))}) added
               union all
               select ${columns.map((c) => (isSum(c) ? `-${ident(c.name)}` : ident(c.name))).join(', ')}, false from (${over(deletedTable(source))}) removed) change
        group by ${keys.join(', ')}),
     changed as materialized (select d.* from delta d left join ${table} t on ${onKeys('t', 'd')} where t.${keys[0]} is null or not (${unchanged})),
     stood as materialized (select t.* from ${table} t join changed d on ${onKeys('t', 'd')}),
     -- the groups as the update leaves them; one whose sums all come to zero has no rows left upstream
     becomes as materialized (
       select ${columns.map((c) => (pk.includes(c.name) ? `d.${ident(c.name)}` : isSum(c) ? `(coalesce(w.${ident(c.name)}, 0) + d.${ident(c.name)})::${c.type} as ${ident(c.name)}` : `d.${ident(c.name)}`)).join(', ')}
         from changed d left join stood w on ${onKeys('w', 'd')}),
     upserted as (insert into ${table} as t (${all.join(', ')}) select ${all.join(', ')} from becomes where not (${sums.map((x) => `${x} = 0`).join(' and ')})
                    on conflict (${keys.join(', ')}) do update set ${[...sums, ...attributes].map((x) => `${x} = excluded.${x}`).join(', ')} returning 1),
     emptied as (delete from ${table} t using becomes d where ${onKeys('t', 'd')} and ${sums.map((x) => `d.${x} = 0`).join(' and ')} returning 1),
     touched as (insert into ${touchedTable(m.name)} (${keys.join(', ')}) select ${keys.join(', ')} from changed returning 1)
     select 0 as side, count(*)::int as n, (select count(*) from upserted)::int as upserted, (select count(*) from emptied)::int as emptied,
            (select count(*) from touched)::int as touched${measured ? `, ${measured}` : ''} from stood t
     union all
     select 1, count(*)::int, 0, 0, 0${measured ? `, ${measured}` : ''} from becomes t where not (${sums.map((x) => `t.${x} = 0`).join(' and ')})`,
  );
  const before = rows.find((r) => Number(r.side) === 0)!;
  if (measured) deltas!.record(m.name, before, rows.find((r) => Number(r.side) === 1)!);
  return { model: m.name, strategy: 'additive', touched: Number(before.touched), deleted: Number(before.emptied), inserted: Number(before.upserted), ms: 0 };
}

